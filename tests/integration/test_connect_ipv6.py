"""A server reachable over IPv6 only (issue 14): signalling and media flow over IPv6.

The sandbox namespace gets the address fd00:77::1 on its veth; the server binds to it
alone and offers ICE candidates on it alone. For the test's duration IPv4 UDP is dropped in
the namespace, so media that flows at all flows over IPv6: the official-SDK peer sees
lkdesk's colour and hears its tone, lkdesk sees the peer's colour.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Iterator

import pytest

from lkdesk import rtc
from tests.integration.analysis import content_region, dominant_frequency, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_media import produce_tone, produce_video, running
from tests.integration.lkdesk_peer import LkdeskPeer, sample_video
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration

V6 = "fd00:77::1"
PEER_COLOR = (60, 90, 220)
LKDESK_COLOR = (220, 200, 30)
TONE_HZ = 550.0


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def _ipv4_udp(action: str) -> None:
    for chain in ("INPUT", "OUTPUT"):
        subprocess.run(
            ["iptables", "-w", action, chain, "-p", "udp", "-j", "DROP"],
            check=True,
            capture_output=True,
            timeout=10,
        )


@pytest.fixture
def ipv6_server() -> Iterator[LiveKitServer]:
    _ip("-6", "addr", "add", f"{V6}/64", "dev", "v0", "nodad")
    server = LiveKitServer.create(node_ip=V6, bind=(V6,))
    try:
        server.start()
        _ipv4_udp("-I")
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _ipv4_udp("-D")
        server.stop()
        _ip("-6", "addr", "del", f"{V6}/64", "dev", "v0")


def _close(color: tuple[float, ...], expected: tuple[int, int, int]) -> bool:
    return max(abs(c - e) for c, e in zip(color, expected, strict=True)) < 30


async def test_media_flows_both_ways_with_a_server_on_ipv6_only(
    ipv6_server: LiveKitServer, room_name: str
) -> None:
    server = ipv6_server
    assert server.ws_url.startswith(f"ws://[{V6}]:")
    peer = SdkPeer(server.ws_url, server.token("peer", room_name))
    lk = LkdeskPeer()
    video = rtc.VideoSource(320, 240)
    tone = rtc.AudioSource(48_000, 1)
    try:
        await peer.connect()
        await peer.publish_video(color=PEER_COLOR)
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        local = lk.room.local_participant
        assert local is not None
        async with (
            running(produce_video(video, LKDESK_COLOR)),
            running(produce_tone(tone, TONE_HZ)),
        ):
            camera = rtc.LocalVideoTrack.create_video_track("camera", video)
            mic = rtc.LocalAudioTrack.create_audio_track("mic", tone)
            await local.publish_track(
                camera, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
            )
            await local.publish_track(
                mic, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
            )
            async with asyncio.timeout(30):
                remote_video = await peer.subscribed_track("lkdesk", "camera")
                frames = await peer.collect_video(remote_video, frames=10)
                remote_audio = await peer.subscribed_track("lkdesk", "mic")
                await peer.collect_audio(remote_audio, seconds=0.5)
                heard = await peer.collect_audio(remote_audio, seconds=1.0)
            track = await lk.subscribed("peer", rtc.TrackKind.KIND_VIDEO)
            received = await sample_video(track, 5)
        routes = lk.room.media_routes()
    finally:
        await lk.aclose()
        await peer.aclose()
    seen_by_peer = mean_color(frames[-1].rgb, content_region(320, 240))
    assert _close(seen_by_peer, LKDESK_COLOR), seen_by_peer
    assert abs(dominant_frequency(heard, 48_000) - TONE_HZ) < 10
    last = received[-1]
    seen_by_lkdesk = mean_color(last, content_region(last.shape[1], last.shape[0]))
    assert _close(seen_by_lkdesk, PEER_COLOR), seen_by_lkdesk
    assert routes["subscriber"] == routes["publisher"] == "udp", routes

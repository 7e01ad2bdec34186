"""A peer connection whose ICE consent expires is resumed, not rejoined (the soak's resumes).

Under CPU load (bench/soak.py) aioice's consent checks "fail" on a healthy path: a response
queued behind a few videos' datagrams is read after its 0.5 s. Six in a row and aioice closes
its connection; aiortc's DTLS transport, reading through it, ended with it and aiortc closed
the whole peer connection, so the server's resume request could only end in a full rejoin.

Here every STUN binding response to one of lkdesk's peer connections (subscriber or
publisher of ``/rtc``, or the one PC of ``/rtc/v1``) is dropped (iptables, u32 match on the
STUN message type), so its consent expires while media flows (even with the retransmitted
checks of adapt/consent.py), the consent interval shortened from 5 s to 0.5 s so that takes
seconds, not 30. lkdesk must notice, resume the same session and restart ICE on that
connection while DTLS, SRTP and SCTP carry on: same participant sid, no leave seen by the
other peer, video both ways and chat afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Iterator

import aioice.ice
import pytest

from lkdesk import rtc
from tests.integration.analysis import content_region, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_media import produce_video, running
from tests.integration.lkdesk_peer import LkdeskPeer, sample_video
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration

MAGENTA = (220, 30, 200)
GREEN = (30, 210, 60)
#: iptables u32: the UDP payload's first 16 bits are 0x0101 (STUN Binding success response).
STUN_RESPONSE = "0>>22&0x3C@8>>16=0x0101"


def _close(color: tuple[float, float, float], expected: tuple[int, int, int]) -> bool:
    return max(abs(c - e) for c, e in zip(color, expected, strict=True)) < 30


def _local_ports(pc: object) -> set[int]:
    sctp = pc.sctp  # type: ignore[attr-defined]
    ice = sctp.transport.transport
    return {c.port for c in ice.iceGatherer.getLocalCandidates() if c.type != "relay"}


@contextlib.contextmanager
def stun_responses_dropped(ports: set[int]) -> Iterator[None]:
    rules = [
        ["INPUT", "-p", "udp", "--dport", str(p), "-m", "u32", "--u32", STUN_RESPONSE, "-j", "DROP"]
        for p in sorted(ports)
    ]
    for rule in rules:
        subprocess.run(["iptables", "-w", "-I", *rule], check=True)
    try:
        yield
    finally:
        for rule in rules:
            subprocess.run(["iptables", "-w", "-D", *rule], check=False)


@pytest.mark.parametrize("which", ["subscriber", "publisher", "single"])
async def test_an_expired_ice_consent_is_resumed_keeping_the_session(
    livekit_server: LiveKitServer, room_name: str, which: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("peer", room_name))
    source = rtc.VideoSource(320, 240)
    try:
        await peer.connect()
        await peer.publish_video(color=GREEN)
        single = which == "single"  # the one PC of /rtc/v1; else one of /rtc's two
        await lk.connect(
            server.ws_url, server.token("lkdesk", room_name), single_peer_connection=single
        )
        chat = rtc.Chat(lk.room)
        async with running(produce_video(source, MAGENTA)):
            await lk.room.local_participant.publish_track(
                rtc.LocalVideoTrack.create_video_track("camera", source),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA),
            )
            await lk.subscribed("peer", rtc.TrackKind.KIND_VIDEO)
            async with asyncio.timeout(20):
                await peer.subscribed_track("lkdesk", "camera")
            old_sid = lk.room.local_participant.sid
            engine = lk.room._engine
            connection = engine.subscriber if which == "subscriber" else engine.publisher_connection
            assert connection is not None
            pc = connection.peer_connection

            monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", 0.5)  # expiry in ~3 s
            with stun_responses_dropped(_local_ports(pc)):
                await lk.wait_for("reconnecting", deadline_s=20)
                await lk.wait_for("reconnected", deadline_s=30)
            monkeypatch.undo()

            assert lk.room.connection_state == rtc.ConnectionState.CONN_CONNECTED
            assert lk.room.local_participant.sid == old_sid, "rejoined instead of resuming"
            assert not peer.events["participant_disconnected"]
            assert not lk.events["disconnected"]
            assert pc.connectionState == "connected"

            video = await lk.subscribed("peer", rtc.TrackKind.KIND_VIDEO)
            frames = await sample_video(video, frames=5)
            assert _close(mean_color(frames[-1], content_region(320, 240)), GREEN)
            async with asyncio.timeout(20):
                remote = await peer.subscribed_track("lkdesk", "camera")
                received = await peer.collect_video(remote, frames=5)
            assert _close(mean_color(received[-1].rgb, content_region(320, 240)), MAGENTA)
            message = await chat.send("still here")
            assert message.state == rtc.DeliveryState.SENT
    finally:
        await lk.aclose()
        await peer.aclose()
    assert lk.room.connection_state == rtc.ConnectionState.CONN_DISCONNECTED


async def test_a_publisher_that_never_connected_does_not_fail_the_resume(
    livekit_server: LiveKitServer, room_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Signalling drops right after the first publish sent its offer: the publisher PC has
    no DTLS session yet, so there is nothing to restart. The resume's first attempt must
    succeed (it failed with "ICE restart needs a connected DTLS session (DTLS new, ICE new)"
    and only a later attempt, after the PC happened to connect, went through)."""
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("peer", room_name))
    source = rtc.VideoSource(320, 240)
    try:
        await peer.connect()
        token = server.token("lkdesk", room_name)
        await lk.connect(server.ws_url, token, single_peer_connection=False)  # v1's is connected
        old_sid = lk.room.local_participant.sid
        engine = lk.room._engine
        async with running(produce_video(source, MAGENTA)):
            publishing = asyncio.create_task(
                lk.room.local_participant.publish_track(
                    rtc.LocalVideoTrack.create_video_track("camera", source),
                    rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA),
                )
            )
            async with asyncio.timeout(10):
                while (  # noqa: ASYNC110 (no event to wait on; every loop turn counts)
                    engine.publisher_connection is None or not engine.publisher_connection._answers
                ):
                    await asyncio.sleep(0)  # until the first offer is on its way
            publisher = engine.publisher_connection
            assert publisher.connection_state == "new"
            signal = engine.signal
            assert signal is not None and signal._ws is not None
            signal._ws.transport.abort()

            await lk.wait_for("reconnected", deadline_s=30)
            assert lk.room.local_participant.sid == old_sid, "rejoined instead of resuming"
            assert not lk.events["disconnected"]
            attempts = [
                r.getMessage() for r in caplog.records if "resume attempt" in r.getMessage()
            ]
            assert not attempts, attempts
            async with asyncio.timeout(20):
                await publishing
                remote = await peer.subscribed_track("lkdesk", "camera")
                received = await peer.collect_video(remote, frames=5)
            assert _close(mean_color(received[-1].rgb, content_region(320, 240)), MAGENTA)
            assert engine.publisher_connection is publisher
    finally:
        await lk.aclose()
        await peer.aclose()

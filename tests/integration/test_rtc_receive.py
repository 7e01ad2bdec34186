"""lkdesk joins rooms on the real server and receives what official-SDK peers publish."""

from __future__ import annotations

import asyncio

import pytest

from lkdesk import rtc
from tests.integration.analysis import (
    content_region,
    decode_counter,
    dominant_frequency,
    mean_color,
)
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, sample_audio, sample_video
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration

COLORS = {"alice": (220, 40, 40), "bob": (40, 200, 60), "carol": (40, 60, 220)}
TONES = {"alice": 440.0, "bob": 660.0, "carol": 880.0}


def assert_color_close(actual: tuple[float, float, float], expected: tuple[int, int, int]) -> None:
    assert max(abs(a - e) for a, e in zip(actual, expected, strict=True)) < 30, (actual, expected)


async def check_media(lk: LkdeskPeer, identity: str) -> None:
    video = await lk.subscribed(identity, rtc.TrackKind.KIND_VIDEO)
    frames = await sample_video(video, frames=10)
    h, w = frames[-1].shape[:2]
    assert_color_close(mean_color(frames[-1], content_region(w, h)), COLORS[identity])
    counters = [decode_counter(f) for f in frames]
    assert counters == sorted(counters) and counters[-1] > counters[0], counters
    audio = await lk.subscribed(identity, rtc.TrackKind.KIND_AUDIO)
    samples = await sample_audio(audio, seconds=1.0)
    freq = dominant_frequency(samples, 48_000)
    assert abs(freq - TONES[identity]) / TONES[identity] < 0.02, (identity, freq)


async def test_joins_room_with_publishers_and_receives_content(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    peers: list[SdkPeer] = []
    lk = LkdeskPeer()
    try:
        for identity in ("alice", "bob"):
            token = server.token(
                identity,
                room_name,
                name=identity.title(),
                metadata=f"meta-{identity}",
                attributes={"team": identity[0]},
            )
            peer = SdkPeer(server.ws_url, token)
            await peer.connect()
            await peer.publish_video(color=COLORS[identity])
            await peer.publish_tone(TONES[identity])
            peers.append(peer)

        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        assert lk.room.isconnected()
        assert lk.room.name == room_name
        for identity in ("alice", "bob"):
            participant = lk.room.remote_participants[identity]
            assert participant.name == identity.title()
            assert participant.metadata == f"meta-{identity}"
            assert participant.attributes == {"team": identity[0]}

        carol_token = server.token("carol", room_name, name="Carol", metadata="meta-carol")
        carol = SdkPeer(server.ws_url, carol_token)
        await carol.connect()
        peers.append(carol)
        await lk.wait_for("participant_connected", lambda p: p.identity == "carol")
        await carol.publish_video(color=COLORS["carol"])
        await carol.publish_tone(TONES["carol"])
        assert lk.room.remote_participants["carol"].metadata == "meta-carol"

        await asyncio.gather(*(check_media(lk, identity) for identity in COLORS))
    finally:
        await lk.aclose()
        for peer in peers:
            await peer.aclose()
    assert lk.room.connection_state == rtc.ConnectionState.CONN_DISCONNECTED


async def test_lone_video_track_published_before_join_is_received_quickly(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    """Regression: the server's first media offer lands while DTLS is still handshaking."""
    server = livekit_server
    peer = SdkPeer(server.ws_url, server.token("solo", room_name))
    lk = LkdeskPeer()
    try:
        await peer.connect()
        await peer.publish_video(color=(250, 250, 0), width=640, height=360)
        started = asyncio.get_running_loop().time()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        assert asyncio.get_running_loop().time() - started < 5, "connect() waited for a timeout"
        video = await lk.subscribed("solo", rtc.TrackKind.KIND_VIDEO)
        frames = await sample_video(video, frames=3, deadline_s=5)
        assert frames[-1].shape == (360, 640, 3)
    finally:
        await lk.aclose()
        await peer.aclose()

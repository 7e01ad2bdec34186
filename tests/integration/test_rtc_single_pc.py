"""Single-peer-connection mode (``/rtc/v1``) on the real server, with official-SDK peers.

One peer connection carries lkdesk's media both ways; the server fills receive-only media
lines through its answers and moves them between tracks as peers publish and unpublish.
"""

from __future__ import annotations

import asyncio

import pytest

from lkdesk import rtc
from tests.integration.analysis import content_region, dominant_frequency, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_media import produce_tone, produce_video, running
from tests.integration.lkdesk_peer import LkdeskPeer, eventually
from tests.integration.peers import SdkPeer
from tests.integration.test_rtc_chat import SdkChat
from tests.integration.test_rtc_receive import COLORS, TONES, check_media

pytestmark = pytest.mark.integration

MAGENTA = (220, 30, 200)


def _close(color: tuple[float, float, float], expected: tuple[int, int, int]) -> bool:
    return max(abs(c - e) for c, e in zip(color, expected, strict=True)) < 30


async def test_v1_join_uses_one_peer_connection_and_exchanges_media_and_chat(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    peers: list[SdkPeer] = []
    lk = LkdeskPeer()
    source = rtc.VideoSource(320, 240)
    mic = rtc.AudioSource(48_000, 1)
    try:
        for identity in ("alice", "bob"):
            peer = SdkPeer(server.ws_url, server.token(identity, room_name))
            await peer.connect()
            await peer.publish_video(color=COLORS[identity])
            await peer.publish_tone(TONES[identity])
            peers.append(peer)
        await lk.connect(
            server.ws_url, server.token("lkdesk", room_name), single_peer_connection=True
        )
        engine = lk.room._engine
        assert engine.single_connection is not None and engine.subscriber is None
        async with running(produce_video(source, MAGENTA)), running(produce_tone(mic, 550.0)):
            await lk.room.local_participant.publish_track(
                rtc.LocalVideoTrack.create_video_track("camera", source),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA),
            )
            await lk.room.local_participant.publish_track(
                rtc.LocalAudioTrack.create_audio_track("mic", mic),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
            )
            await asyncio.gather(*(check_media(lk, identity) for identity in ("alice", "bob")))

            alice = peers[0]
            async with asyncio.timeout(20):
                video = await alice.subscribed_track("lkdesk", "camera")
                frames = await alice.collect_video(video, frames=5)
                audio = await alice.subscribed_track("lkdesk", "mic")
                samples = await alice.collect_audio(audio, seconds=1.0)
            assert _close(mean_color(frames[-1].rgb, content_region(320, 240)), MAGENTA)
            assert abs(dominant_frequency(samples, 48_000) - 550.0) < 11

            chat = rtc.Chat(lk.room)
            alice_chat = SdkChat(alice)
            message = await chat.send("hello over one pc")
            assert message.state == rtc.DeliveryState.SENT
            await eventually(lambda: any(m[2] == "hello over one pc" for m in alice_chat.messages))
            # Downstream data arrives on the one PC's own channels.
            await alice.room.local_participant.send_text("hello back", topic="lk.chat")
            await eventually(lambda: any(m.message == "hello back" for m in chat.history))
        assert engine.single_connection is not None
        assert lk.room.media_routes()["subscriber"] == lk.room.media_routes()["publisher"]
    finally:
        await lk.aclose()
        for peer in peers:
            await peer.aclose()

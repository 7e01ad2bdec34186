"""Resume after signalling drops (fault injected in-process by aborting our own socket).

Real-network faults, including a crashed server (a full rejoin), are in test_faults.py.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

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


def _close(color: tuple[float, float, float], expected: tuple[int, int, int]) -> bool:
    return max(abs(c - e) for c, e in zip(color, expected, strict=True)) < 30


async def test_scripted_signal_drop_resumes_keeping_the_session_tracks_and_subscriptions(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("peer", room_name))
    source = rtc.VideoSource(320, 240)
    try:
        await peer.connect()
        await peer.publish_video(color=GREEN)
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        chat = rtc.Chat(lk.room)
        async with running(produce_video(source, MAGENTA)):
            await lk.room.local_participant.publish_track(
                rtc.LocalVideoTrack.create_video_track("camera", source),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA),
            )
            await lk.subscribed("peer", rtc.TrackKind.KIND_VIDEO)
            old_sid = lk.room.local_participant.sid

            signal = lk.room._engine.signal
            assert signal is not None and signal._ws is not None
            signal._ws.transport.abort()  # the network drops under us

            await lk.wait_for("reconnecting", deadline_s=20)
            await lk.wait_for("reconnected", deadline_s=30)
            assert lk.room.connection_state == rtc.ConnectionState.CONN_CONNECTED
            assert lk.room.local_participant.sid == old_sid  # resumed, not rejoined
            assert not peer.events["participant_disconnected"]
            assert not lk.events["disconnected"]

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


async def test_resume_uses_the_refreshed_token_after_the_first_one_expired(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    """The join token is already past its expiry (within the server's 60 s leeway): once
    the leeway is gone only the token the server refreshed can resume the session."""
    server = livekit_server
    expired = server.token("lkdesk", room_name, ttl=timedelta(seconds=-57))
    lk = LkdeskPeer()
    try:
        await lk.connect(server.ws_url, expired)
        await lk.wait_for("token_refreshed", deadline_s=10)
        assert lk.room.token != expired
        sid = lk.room.local_participant.sid
        await asyncio.sleep(max(0.0, 4.0 - (time.monotonic() - lk.events["connected"][0][0])))
        signal = lk.room._engine.signal
        assert signal is not None and signal._ws is not None
        signal._ws.transport.abort()  # the old token is now refused outright
        await lk.wait_for("reconnected", deadline_s=20)
        assert lk.room.local_participant.sid == sid
        assert not lk.events["disconnected"]
    finally:
        await lk.aclose()

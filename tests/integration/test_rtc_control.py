"""Subscription control, bounded streams and local participant changes on the real server."""

from __future__ import annotations

import asyncio
import logging

import pytest
from livekit import rtc as sdk

from lkdesk import rtc
from lkdesk.core import errors
from tests.integration.analysis import make_frame
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, camera_peer_and_lkdesk, sample_video
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration


def _video_pub(lk: LkdeskPeer, identity: str) -> rtc.RemoteTrackPublication:
    participant = lk.room.remote_participants[identity]
    return next(
        p for p in participant.track_publications.values() if p.kind == rtc.TrackKind.KIND_VIDEO
    )


async def _frames_in(track: rtc.RemoteTrack, seconds: float) -> int:
    before = track.frames_received
    await asyncio.sleep(seconds)
    return track.frames_received - before


async def test_unsubscribe_resubscribe_disable_enable(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    async with camera_peer_and_lkdesk(livekit_server, room_name) as (_, lk, track):
        publication = _video_pub(lk, "cam")

        publication.set_enabled(False)
        await asyncio.sleep(0.5)
        assert await _frames_in(track, 1.0) == 0, "disabled track still delivers frames"
        publication.set_enabled(True)
        await lk.wait_until(lambda: track.frames_received > 0 and publication.enabled)
        assert await _frames_in(track, 1.0) > 10

        publication.set_subscribed(False)
        await lk.wait_for("track_unsubscribed", lambda t, p, _: p is publication)
        assert publication.track is None and not publication.subscribed
        publication.set_subscribed(True)
        new_track = await lk.subscribed("cam", rtc.TrackKind.KIND_VIDEO)
        assert new_track is not track
        assert len(await sample_video(new_track, frames=5)) == 5


async def test_slow_consumer_drops_old_frames_instead_of_growing(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    async with camera_peer_and_lkdesk(livekit_server, room_name) as (_, lk, track):
        stream = rtc.VideoStream(track, capacity=2)
        await asyncio.sleep(2.0)  # nobody reads
        assert stream.dropped_frames > 20
        assert len(stream._buffer._frames) <= 2
        receivers = [
            t.receiver
            for t in lk.room._engine.receiving_connection.peer_connection.getTransceivers()
        ]  # type: ignore[union-attr]
        assert all(r.track is None or r.track._queue.qsize() < 5 for r in receivers)
        await stream.aclose()


async def test_preferred_video_size_selects_a_smaller_simulcast_layer(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    room = sdk.Room()
    lk = LkdeskPeer()
    source = sdk.VideoSource(1280, 720)
    stop = asyncio.Event()

    async def produce() -> None:
        n = 0
        while not stop.is_set():
            frame = make_frame((200, 100, 50), n, 1280, 720)
            source.capture_frame(
                sdk.VideoFrame(1280, 720, sdk.VideoBufferType.RGB24, frame.tobytes())
            )
            n += 1
            await asyncio.sleep(1 / 30)

    producer = asyncio.create_task(produce())
    try:
        await room.connect(server.ws_url, server.token("hd", room_name))
        track = sdk.LocalVideoTrack.create_video_track("camera", source)
        options = sdk.TrackPublishOptions(
            source=sdk.TrackSource.SOURCE_CAMERA, video_codec=sdk.VideoCodec.VP8, simulcast=True
        )
        await room.local_participant.publish_track(track, options)
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        remote = await lk.subscribed("hd", rtc.TrackKind.KIND_VIDEO)
        publication = _video_pub(lk, "hd")

        async def widths(n: int) -> list[int]:
            return [f.shape[1] for f in await sample_video(remote, frames=n, deadline_s=15)]

        await lk.wait_until(lambda: remote.frames_received > 30, deadline_s=15)
        full = max(await widths(5))
        publication.set_video_dimensions(320, 180)
        async with asyncio.timeout(15):
            while max(await widths(3)) >= full:
                pass
        small = max(await widths(3))
        assert small < full, (small, full)
    finally:
        stop.set()
        await producer
        await lk.aclose()
        await room.disconnect()
        await source.aclose()


async def test_local_name_metadata_attributes_reach_peers(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    peer = SdkPeer(server.ws_url, server.token("watcher", room_name))
    lk = LkdeskPeer()
    try:
        await peer.connect()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name, name="Old"))
        local = lk.room.local_participant
        assert local is not None
        await local.set_name("New Name")
        await local.set_metadata('{"role": "host"}')
        await local.set_attributes({"hand": "raised"})
        async with asyncio.timeout(5):
            while True:
                remote = peer.room.remote_participants.get("lkdesk")
                if (
                    remote is not None
                    and remote.name == "New Name"
                    and remote.metadata == '{"role": "host"}'
                    and remote.attributes.get("hand") == "raised"
                ):
                    break
                await asyncio.sleep(0.05)
        assert local.name == "New Name"
    finally:
        await lk.aclose()
        await peer.aclose()


async def test_local_changes_without_grant_raise_clear_error(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    try:
        token = server.token("lkdesk", room_name, can_update_own_metadata=False)
        await lk.connect(server.ws_url, token)
        assert lk.room.local_participant is not None
        with pytest.raises(errors.RoomError, match="canUpdateOwnMetadata"):
            await lk.room.local_participant.set_metadata("nope")
    finally:
        await lk.aclose()


async def test_refreshed_token_is_kept_for_reconnects(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    lk = LkdeskPeer()
    original = livekit_server.token("lkdesk", room_name)
    try:
        await lk.connect(livekit_server.ws_url, original)
        await lk.wait_for("token_refreshed", deadline_s=10)
        assert lk.room.token and lk.room.token != original
        assert lk.room.token.count(".") == 2
    finally:
        await lk.aclose()


async def test_no_token_appears_in_any_log_line(
    livekit_server: LiveKitServer, room_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole session at DEBUG (join, refresh, a refused join that echoes the token)."""
    caplog.set_level(logging.DEBUG)
    token = livekit_server.token("lkdesk", room_name)
    bad = livekit_server.token(
        "lkdesk", room_name, ttl=__import__("datetime").timedelta(minutes=-5)
    )
    lk = LkdeskPeer()
    try:
        with pytest.raises(errors.AuthenticationError):
            await rtc.Room().connect(livekit_server.ws_url, bad)
        await lk.connect(livekit_server.ws_url, token)
        await lk.wait_for("token_refreshed", deadline_s=10)
        refreshed = lk.room.token
    finally:
        await lk.aclose()
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    for secret in (token, bad, refreshed):
        assert secret not in text
        assert secret.split(".")[2] not in text  # not even the signature part

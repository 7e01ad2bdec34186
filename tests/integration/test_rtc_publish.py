"""lkdesk publishes; the official SDK receives and checks the content."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from livekit import api
from livekit import rtc as sdk

from lkdesk import rtc
from lkdesk.core import errors
from tests.integration.analysis import (
    content_region,
    decode_counter,
    dominant_frequency,
    mean_color,
)
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_media import produce_tone, produce_video, running
from tests.integration.lkdesk_peer import LkdeskPeer
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration

ORANGE = (240, 130, 20)


async def _publish_camera(
    lk: LkdeskPeer,
    source: rtc.VideoSource,
    name: str = "camera",
    kind: rtc.TrackSource = rtc.TrackSource.SOURCE_CAMERA,
) -> rtc.LocalTrackPublication:
    track = rtc.LocalVideoTrack.create_video_track(name, source)
    assert lk.room.local_participant is not None
    return await lk.room.local_participant.publish_track(
        track, rtc.TrackPublishOptions(source=kind)
    )


async def test_published_camera_and_mic_arrive_with_right_content(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("viewer", room_name))
    video = rtc.VideoSource(640, 480)
    audio = rtc.AudioSource(48_000, 1)
    try:
        await peer.connect()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        async with running(produce_video(video, ORANGE)), running(produce_tone(audio, 750.0)):
            cam = await _publish_camera(lk, video)
            assert lk.room.local_participant is not None
            mic = await lk.room.local_participant.publish_track(
                rtc.LocalAudioTrack.create_audio_track("mic", audio),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
            )
            assert cam.sid.startswith("TR_") and mic.sid.startswith("TR_")
            async with asyncio.timeout(15):
                remote_video = await peer.subscribed_track("lkdesk", "camera")
                remote_audio = await peer.subscribed_track("lkdesk", "mic")
                await peer.collect_video(remote_video, frames=10)  # let the encoder settle
                frames = await peer.collect_video(remote_video, frames=60)
                samples = await peer.collect_audio(remote_audio, seconds=2.0)
            fps = (len(frames) - 1) / (frames[-1].time - frames[0].time)
            assert fps >= 25, f"received {fps:.1f} fps of a 30 fps source"
            last = frames[-1].rgb
            assert last.shape == (480, 640, 3)
            color = mean_color(last, content_region(640, 480))
            assert max(abs(c - e) for c, e in zip(color, ORANGE, strict=True)) < 30, color
            counters = [decode_counter(f.rgb) for f in frames]
            assert counters == sorted(counters) and counters[-1] - counters[0] >= 50, counters
            freq = dominant_frequency(samples[48_000:], 48_000)
            assert abs(freq - 750.0) / 750.0 < 0.02, freq
            info = next(
                p
                for p in peer.room.remote_participants["lkdesk"].track_publications.values()
                if p.name == "camera"
            )
            assert (
                info.source == sdk.TrackSource.SOURCE_CAMERA
                and info.mime_type.lower() == "video/vp8"
            )
    finally:
        await lk.aclose()
        await peer.aclose()


async def test_mute_stops_media_and_peer_sees_it_within_a_second(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("viewer", room_name))
    video = rtc.VideoSource(320, 240)
    try:
        await peer.connect()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        async with running(produce_video(video, ORANGE)):
            cam = await _publish_camera(lk, video)
            async with asyncio.timeout(15):
                remote = await peer.subscribed_track("lkdesk", "camera")
                await peer.collect_video(remote, frames=5)
            received: list[float] = []

            async def count() -> None:
                async for _ in sdk.VideoStream(remote):
                    received.append(time.monotonic())

            async with running(count()):
                assert cam.track is not None
                muted_at = time.monotonic()
                cam.track.mute()
                async with asyncio.timeout(1.0):
                    await peer.wait_for("track_muted", lambda p, pub: pub.sid == cam.sid)
                await asyncio.sleep(0.5)
                before = len(received)
                await asyncio.sleep(1.5)
                assert len(received) == before, "frames kept arriving while muted"
                assert time.monotonic() - muted_at < 5
                cam.track.unmute()
                async with asyncio.timeout(1.0):
                    await peer.wait_for("track_unmuted", lambda p, pub: pub.sid == cam.sid)
                await asyncio.sleep(2.0)
                assert len(received) >= before + 15, "frames did not resume after unmute"
            assert lk.events["track_muted"] and lk.events["track_unmuted"]
    finally:
        await lk.aclose()
        await peer.aclose()


async def test_server_mute_and_publish_permission_are_honoured(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    lkapi = api.LiveKitAPI(server.http_url, server.api_key, server.api_secret)
    audio = rtc.AudioSource(48_000, 1)
    try:
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        local = lk.room.local_participant
        assert local is not None
        async with running(produce_tone(audio, 400.0)):
            mic = await local.publish_track(
                rtc.LocalAudioTrack.create_audio_track("mic", audio),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
            )
            await lkapi.room.mute_published_track(
                api.MuteRoomTrackRequest(
                    room=room_name, identity="lkdesk", track_sid=mic.sid, muted=True
                )
            )
            await lk.wait_for("track_muted", lambda p, pub: pub.sid == mic.sid, deadline_s=3)
            assert mic.muted

            await lkapi.room.update_participant(
                api.UpdateParticipantRequest(
                    room=room_name,
                    identity="lkdesk",
                    permission=api.ParticipantPermission(
                        can_subscribe=True, can_publish=False, can_publish_data=True
                    ),
                )
            )
            await lk.wait_for(
                "participant_permissions_changed",
                lambda p, old, new: not new.can_publish,
                deadline_s=3,
            )
            await lk.wait_for(
                "local_track_unpublished", lambda pub: pub.sid == mic.sid, deadline_s=5
            )
            assert not local.track_publications
            with pytest.raises(errors.PublishPermissionError, match="canPublish"):
                await local.publish_track(
                    rtc.LocalAudioTrack.create_audio_track("mic2", audio),
                    rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
                )

            await lkapi.room.update_participant(
                api.UpdateParticipantRequest(
                    room=room_name,
                    identity="lkdesk",
                    permission=api.ParticipantPermission(
                        can_subscribe=True, can_publish=True, can_publish_data=True
                    ),
                )
            )
            await lk.wait_for(
                "participant_permissions_changed", lambda p, old, new: new.can_publish, deadline_s=3
            )
            again = await local.publish_track(
                rtc.LocalAudioTrack.create_audio_track("mic3", audio),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
            )
            assert again.sid in local.track_publications
    finally:
        await lkapi.aclose()
        await lk.aclose()


async def test_allowed_sources_are_respected_and_screen_share_arrives(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("viewer", room_name))
    screen = rtc.VideoSource(640, 360)
    try:
        await peer.connect()
        token = server.token("lkdesk", room_name, can_publish_sources=["screen_share"])
        await lk.connect(server.ws_url, token)
        with pytest.raises(errors.PublishPermissionError, match="camera"):
            await _publish_camera(lk, rtc.VideoSource(320, 240))
        async with running(produce_video(screen, (10, 120, 240), fps=15)):
            pub = await _publish_camera(lk, screen, "screen", rtc.TrackSource.SOURCE_SCREENSHARE)
            async with asyncio.timeout(15):
                remote = await peer.subscribed_track("lkdesk", "screen")
                frames = await peer.collect_video(remote, frames=5)
            info = peer.room.remote_participants["lkdesk"].track_publications[pub.sid]
            assert info.source == sdk.TrackSource.SOURCE_SCREENSHARE
            assert frames[-1].rgb.shape == (360, 640, 3)
    finally:
        await lk.aclose()
        await peer.aclose()


async def _sent_bitrate(
    publication: rtc.LocalTrackPublication, lk: LkdeskPeer, seconds: float
) -> float:
    """Bits per second the publisher sent for this track over ``seconds``."""
    sender = lk.room._publisher._transceivers[publication.sid].sender

    async def sent() -> int:
        stats = await sender.getStats()
        return sum(getattr(s, "bytesSent", 0) for s in stats.values() if s.type == "outbound-rtp")

    before = await sent()
    await asyncio.sleep(seconds)
    return (await sent() - before) * 8 / seconds


async def test_encoding_limits_cap_frame_rate_and_bitrate(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("viewer", room_name))
    noisy = rtc.VideoSource(640, 480)
    capped = rtc.VideoSource(640, 480)
    rng = np.random.default_rng(1)

    async def produce_noise(source: rtc.VideoSource) -> None:
        # A textured scene panning 4 px per frame, like a moving camera: VP8 spends what
        # its target allows on it (measured offline: 296/486/1461 kbps at 0.3/0.5/1.5 M).
        scene = rng.integers(0, 255, (60, 80, 3), dtype="uint8").repeat(8, 0).repeat(8, 1)
        n = 0
        while True:
            data = np.ascontiguousarray(np.roll(scene, 4 * n, axis=1))
            source.capture_frame(rtc.VideoFrame(640, 480, rtc.VideoFormat.RGB24, data))
            n += 1
            await asyncio.sleep(1 / 30)

    try:
        await peer.connect()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        local = lk.room.local_participant
        async with running(produce_noise(noisy)), running(produce_noise(capped)):
            free = await local.publish_track(
                rtc.LocalVideoTrack.create_video_track("free", noisy),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA),
            )
            limited = await local.publish_track(
                rtc.LocalVideoTrack.create_video_track("limited", capped),
                rtc.TrackPublishOptions(
                    source=rtc.TrackSource.SOURCE_SCREENSHARE,
                    video_encoding=rtc.VideoEncoding(max_bitrate=300_000, max_framerate=30),
                ),
            )
            slow = await local.publish_track(
                rtc.LocalVideoTrack.create_video_track("slow", capped),
                rtc.TrackPublishOptions(
                    source=rtc.TrackSource.SOURCE_CAMERA,
                    video_encoding=rtc.VideoEncoding(max_framerate=10),
                ),
            )
            async with asyncio.timeout(20):
                remote = await peer.subscribed_track("lkdesk", "slow")
                await peer.collect_video(remote, frames=5)
                frames = await peer.collect_video(remote, frames=25)
            fps = (len(frames) - 1) / (frames[-1].time - frames[0].time)
            assert 7 <= fps <= 12, f"10 fps track arrived at {fps:.1f} fps"
            free_bps, limited_bps = await asyncio.gather(
                _sent_bitrate(free, lk, 4.0), _sent_bitrate(limited, lk, 4.0)
            )
            assert limited_bps < 300_000 * 1.3, (free_bps, limited_bps)
            assert free_bps > limited_bps * 1.3, (free_bps, limited_bps)
            assert slow.sid
    finally:
        await lk.aclose()
        await peer.aclose()

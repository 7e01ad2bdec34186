"""Real devices through lkdesk: a clip as camera, PulseAudio as mic and speaker."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import cv2
import pytest

from lkdesk import media, rtc
from lkdesk.session import media_links
from tests.integration.analysis import (
    content_region,
    decode_counter,
    dominant_frequency,
    make_frame,
    mean_color,
)
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer
from tests.integration.peers import SdkPeer
from tests.media.audio_tools import recording, sine_into

pytestmark = pytest.mark.integration

TEAL = (20, 180, 170)


def write_clip(path: Path, seconds: float, width: int = 640, height: int = 480) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, (width, height))
    try:
        for counter in range(int(seconds * 30)):
            writer.write(cv2.cvtColor(make_frame(TEAL, counter, width, height), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()


async def _publish_video(
    lk: LkdeskPeer, source: rtc.VideoSource, name: str
) -> rtc.LocalTrackPublication:
    return await lk.room.local_participant.publish_track(
        rtc.LocalVideoTrack.create_video_track(name, source),
        rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA),
    )


async def test_clip_as_camera_reaches_peer_at_full_rate(
    livekit_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    clip = tmp_path / "camera.mp4"
    write_clip(clip, seconds=8)
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("viewer", room_name))
    camera = media.CameraCapture(str(clip), 640, 480, 30, loop_file=True)
    try:
        await peer.connect()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        await camera.start()
        assert (camera.granted.width, camera.granted.height) == (640, 480)
        source = rtc.VideoSource(640, 480)
        link = media_links.MediaLink(media_links.pump_video(camera, source), "camera")
        await _publish_video(lk, source, "camera")
        async with asyncio.timeout(20):
            remote = await peer.subscribed_track("lkdesk", "camera")
            await peer.collect_video(remote, frames=15)
            frames = await peer.collect_video(remote, frames=75)
        fps = (len(frames) - 1) / (frames[-1].time - frames[0].time)
        assert fps >= 25, f"peer received {fps:.1f} fps of a 30 fps clip"
        color = mean_color(frames[-1].rgb, content_region(640, 480))
        assert max(abs(c - e) for c, e in zip(color, TEAL, strict=True)) < 30, color
        counters = [decode_counter(f.rgb) for f in frames]
        assert sum(b > a for a, b in itertools.pairwise(counters)) >= len(counters) - 5
        await link.aclose()
    finally:
        await camera.aclose()
        await lk.aclose()
        await peer.aclose()


async def test_pulseaudio_mic_is_published_with_its_frequency(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("listener", room_name))
    mic = media.MicrophoneCapture()
    try:
        await peer.connect()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        with sine_into("lk_sink", 1000):
            await mic.start()
            source = rtc.AudioSource(48_000, 1)
            link = media_links.MediaLink(media_links.pump_audio(mic, source), "mic")
            await lk.room.local_participant.publish_track(
                rtc.LocalAudioTrack.create_audio_track("mic", source),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
            )
            async with asyncio.timeout(20):
                remote = await peer.subscribed_track("lkdesk", "mic")
                await peer.collect_audio(remote, seconds=1.0)
                samples = await peer.collect_audio(remote, seconds=1.5)
            freq = dominant_frequency(samples, 48_000)
            assert abs(freq - 1000) / 1000 < 0.02, freq
            await link.aclose()
    finally:
        await mic.aclose()
        await lk.aclose()
        await peer.aclose()


async def test_remote_tone_is_played_to_the_speaker(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("talker", room_name))
    playback = media.AudioPlayback()
    try:
        await peer.connect()
        await peer.publish_tone(523.0, amplitude=0.5)
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        track = await lk.subscribed("talker", rtc.TrackKind.KIND_AUDIO)
        await playback.start()
        speaker = playback.add_input("talker")
        link = media_links.MediaLink(media_links.play_track(track, speaker), "speaker")
        async with recording("lk_sink.monitor") as recorder:
            await recorder.record(1.0)
            samples = await recorder.record(1.5)
        freq = dominant_frequency(samples, 48_000)
        assert abs(freq - 523) / 523 < 0.02, freq
        await link.aclose()
    finally:
        await playback.aclose()
        await lk.aclose()
        await peer.aclose()


async def test_missing_mic_is_reported_and_camera_keeps_publishing(
    livekit_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    clip = tmp_path / "camera.mp4"
    write_clip(clip, seconds=4, width=320, height=240)
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("viewer", room_name))
    camera = media.CameraCapture(str(clip), 320, 240, 30, loop_file=True)
    mic = media.MicrophoneCapture(device=97, fallback_to_default=False)
    try:
        await peer.connect()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        await camera.start()
        source = rtc.VideoSource(320, 240)
        link = media_links.MediaLink(media_links.pump_video(camera, source), "camera")
        await _publish_video(lk, source, "camera")
        with pytest.raises(media.DeviceError) as caught:
            await mic.start()
        assert "97" in str(caught.value) or "microphone" in str(caught.value).lower()
        async with asyncio.timeout(20):
            remote = await peer.subscribed_track("lkdesk", "camera")
            frames = await peer.collect_video(remote, frames=20)
        assert len(frames) == 20
        assert link.running
        await link.aclose()
    finally:
        await mic.aclose()
        await camera.aclose()
        await lk.aclose()
        await peer.aclose()

"""The local microphone, camera and screen: preview before joining, publish while joined.

A capture runs from preview on; joining attaches a source and a track to it, so the camera
does not reopen at the moment of joining. The microphone is muted (not unpublished) so
unmuting is instant; the camera and screen are stopped when turned off, so the camera
light goes out as people expect. Every capture and pump is owned and closed here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lkdesk import media, rtc
from lkdesk.core.errors import LkdeskError
from lkdesk.core.tasks import TaskSet
from lkdesk.session.errors import NotConnectedError
from lkdesk.session.mic_processing import MicProcessing
from lkdesk.session.share_sources import capture_for

logger = logging.getLogger(__name__)

MIC, CAMERA, SCREEN = "microphone", "camera", "screen_share"
SCREEN_AUDIO = "screen_share_audio"
_SOURCE = {
    MIC: rtc.TrackSource.SOURCE_MICROPHONE,
    CAMERA: rtc.TrackSource.SOURCE_CAMERA,
    SCREEN: rtc.TrackSource.SOURCE_SCREENSHARE,
    SCREEN_AUDIO: rtc.TrackSource.SOURCE_SCREENSHARE_AUDIO,
}
_AUDIO = (MIC, SCREEN_AUDIO)
LEVEL_EVERY = 5  # mic frames (10 ms each) per meter update: 20 updates a second


@dataclass
class _Running:
    capture: Any
    device: str | None
    pump: asyncio.Task[None] | None = None
    source: Any = None
    track: rtc.LocalTrack | None = None
    publication: rtc.LocalTrackPublication | None = None


CAMERA_SIZES = {360: (640, 360), 540: (960, 540), 720: (1280, 720), 1080: (1920, 1080)}


def _capture(
    kind: str, device: str | None, processing: MicProcessing | None, camera_height: int = 720
) -> Any:
    if kind == MIC:
        return media.MicrophoneCapture(
            device, processing=processing.media if processing is not None else None
        )
    if kind == CAMERA:
        if device and not device.isdigit():  # a video file standing in for a camera
            return media.CameraCapture(device, 640, 480, 30, loop_file=True)
        width, height = CAMERA_SIZES.get(camera_height, CAMERA_SIZES[720])
        return media.CameraCapture(int(device) if device else 0, width, height)
    if kind == SCREEN_AUDIO:
        return media.SystemAudioCapture(device or None)
    return capture_for(device or "")


class LocalMediaController:
    """``on_video(kind, rgb)``, ``on_level(0..1)``, ``on_stopped(kind, reason)`` report out."""

    def __init__(
        self,
        tasks: TaskSet,
        on_video: Callable[[str, Any], None],
        on_level: Callable[[float], None],
        on_stopped: Callable[[str, str], None],
        processing: MicProcessing | None = None,
    ) -> None:
        self._tasks = tasks
        self._processing = processing
        self._on_video = on_video
        self._on_level = on_level
        self._on_stopped = on_stopped
        self._running: dict[str, _Running] = {}
        self._paused: dict[str, _Running] = {}  # published but muted, device closed
        self._locks = {kind: asyncio.Lock() for kind in _SOURCE}  # one change at a time
        self.room: rtc.Room | None = None
        self.camera_height = 720  # what the camera is asked for (see CAMERA_SIZES)

    def is_running(self, kind: str) -> bool:
        return kind in self._running

    def is_published(self, kind: str) -> bool:
        running = self._running.get(kind)
        return running is not None and running.track is not None

    async def capture(self, kind: str, device: str | None) -> None:
        """Make sure ``kind`` captures from ``device`` (preview, or swap under a live track)."""
        async with self._locks[kind]:
            await self._capture(kind, device)

    async def _capture(self, kind: str, device: str | None) -> None:
        running = self._running.get(kind)
        if running is not None and running.device == device:
            return
        capture = _capture(kind, device, self._processing, self.camera_height)
        opening = asyncio.ensure_future(capture.start())
        try:
            await asyncio.shield(opening)  # DeviceError says what is wrong with the device
        except BaseException:
            # Failed, or we were cancelled: let an open in progress finish (an abandoned
            # open would close the device later from a stray thread), then close it.
            await asyncio.wait([opening])
            if not opening.cancelled():
                opening.exception()  # retrieved: the reason is already being raised
            await capture.aclose()
            raise
        fresh = _Running(capture, device)
        if running is not None:  # keep the published track; only the device changes
            fresh.source, fresh.track, fresh.publication = (
                running.source,
                running.track,
                running.publication,
            )
            await self._close_capture(running)
        self._running[kind] = fresh
        fresh.pump = self._tasks.spawn(self._pump(kind, fresh), f"capture-{kind}")

    async def set_camera_height(self, height: int) -> None:
        """Ask the camera for ``height`` lines (360, 540, 720, 1080); reopens a live camera."""
        if height not in CAMERA_SIZES or height == self.camera_height:
            return
        self.camera_height = height
        async with self._locks[CAMERA]:
            running = self._running.get(CAMERA)
            if running is not None:
                device = running.device
                running.device = None  # makes _capture reopen it with the new size
                await self._capture(CAMERA, device)

    async def publish(self, kind: str, device: str | None) -> None:
        """Capture (if not yet) and publish ``kind``; unmutes an already published mic."""
        room = self.room
        if room is None or room.local_participant is None:
            raise NotConnectedError("Join the room first.")
        async with self._locks[kind]:
            await self._capture(kind, device)
            paused = self._paused.pop(kind, None)
            if paused is not None:  # same publication again: peers see it unmuted
                fresh = self._running[kind]
                fresh.source, fresh.track, fresh.publication = (
                    paused.source,
                    paused.track,
                    paused.publication,
                )
            await self._publish(room, kind)

    async def _publish(self, room: rtc.Room, kind: str) -> None:
        assert room.local_participant is not None
        running = self._running[kind]
        if running.track is not None:
            running.track.unmute()
            return
        if kind in _AUDIO:
            channels = 1 if kind == MIC else media.system_audio.CHANNELS
            running.source = rtc.AudioSource(48_000, channels)
            running.track = rtc.LocalAudioTrack.create_audio_track(kind, running.source)
        else:
            granted = running.capture.granted
            width, height = (granted.width, granted.height) if granted else (1280, 720)
            running.source = rtc.VideoSource(width, height)
            running.track = rtc.LocalVideoTrack.create_video_track(kind, running.source)
        options = rtc.TrackPublishOptions(source=_SOURCE[kind])
        running.publication = await room.local_participant.publish_track(running.track, options)

    def mute(self, kind: str, muted: bool) -> None:
        running = self._running.get(kind)
        if running is not None and running.track is not None:
            (running.track.mute if muted else running.track.unmute)()

    async def pause(self, kind: str) -> None:
        """Camera off the way LiveKit Meet does it: the track is muted (peers see
        track_muted, nothing is sent) and the device closes; the publication stays."""
        async with self._locks[kind]:
            running = self._running.get(kind)
            if running is None or running.track is None:
                await self._stop(kind)
                return
            running.track.mute()
            del self._running[kind]
            await self._close_capture(running)
            self._paused[kind] = running

    async def stop(self, kind: str) -> None:
        """Unpublish ``kind`` (if published) and close its device."""
        async with self._locks[kind]:
            await self._stop(kind)

    async def _stop(self, kind: str) -> None:
        running = self._running.pop(kind, None) or self._paused.pop(kind, None)
        if running is None:
            return
        await self._close_capture(running)
        room = self.room
        try:
            if running.publication is not None and room is not None and room.isconnected():
                assert room.local_participant is not None
                await room.local_participant.unpublish_track(running.publication.sid)
        finally:
            if running.source is not None:
                await running.source.aclose()

    async def stop_all(self) -> None:
        """Stop every kind; one that cannot be unpublished does not keep the rest open."""
        for kind in list(self._running) + list(self._paused):
            try:
                await self.stop(kind)
            except LkdeskError as error:  # its device and source are closed all the same
                logger.warning("%s was not unpublished: %s", kind, error)

    async def _close_capture(self, running: _Running) -> None:
        await self._tasks.cancel(running.pump)
        await running.capture.aclose()

    async def _pump(self, kind: str, running: _Running) -> None:
        count = 0
        try:
            async for item in running.capture:
                if kind in _AUDIO:
                    if running.source is not None:
                        await running.source.capture_frame(item)
                    count += 1
                    if kind == MIC and count % LEVEL_EVERY == 0:
                        muted = running.track is not None and running.track.muted
                        self._on_level(0.0 if muted else running.capture.level.normalized)
                        if self._processing is not None:
                            self._processing.observe(running.capture, muted)
                    continue
                if running.source is not None:
                    running.source.capture_frame(item.frame, timestamp_us=item.timestamp_us)
                self._on_video(kind, item.frame.data)
        except media.DeviceError as exc:
            self._ended(kind, running, str(exc))
            return
        error = getattr(running.capture, "error", None)
        self._ended(kind, running, str(error) if error else "The device stopped.")

    def _ended(self, kind: str, running: _Running, reason: str) -> None:
        if self._running.get(kind) is running:
            logger.warning("%s stopped: %s", kind, reason)
            self._tasks.spawn(self.stop(kind), f"stop-{kind}")
            self._on_stopped(kind, reason)

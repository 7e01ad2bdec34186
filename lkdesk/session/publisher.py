"""Publishing the local microphone, camera and screen into a LiveKit room.

Written against the agreed official-SDK-style names in lkdesk.rtc (``VideoSource``,
``AudioSource``, ``LocalVideoTrack.create_video_track``, ``publish_track``,
``TrackPublishOptions``, ``unpublish_track``, ``track.mute()``) and the capture classes of
lkdesk.media. Until those land, :func:`media_bridge.feature` reports the feature as not
available and nothing here runs. Captured frames are also handed to ``on_frame`` so the
local tile and the level meter show what is sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lkdesk.session.errors import NotAvailableError
from lkdesk.session.media_bridge import MEDIA_NAMES, feature, media_module
from lkdesk.session.tasks import TaskSet

logger = logging.getLogger(__name__)

_SOURCES = {
    "microphone": "SOURCE_MICROPHONE",
    "camera": "SOURCE_CAMERA",
    "screen_share": "SOURCE_SCREENSHARE",
}


@dataclass
class _Published:
    capture: Any
    track: Any
    publication: Any
    pump: asyncio.Task[None]


class Publisher:
    """Owns the local tracks of one room; every capture and pump is stopped on close."""

    def __init__(self, room: Any, tasks: TaskSet, on_frame: Callable[[str, Any], None]) -> None:
        self._room = room
        self._tasks = tasks
        self._on_frame = on_frame
        self._published: dict[str, _Published] = {}

    def is_published(self, kind: str) -> bool:
        return kind in self._published

    async def publish(self, kind: str, device_id: str | None) -> None:
        """Start capturing ``kind`` and publish it (a no-op when already published)."""
        if kind in self._published:
            return
        available = feature(kind)
        if not available.available:
            raise NotAvailableError(available.reason)
        import lkdesk.rtc as rtc_module  # the publishing names exist: feature() checked

        rtc: Any = rtc_module
        media: Any = media_module()
        capture = getattr(media, MEDIA_NAMES[kind])(device_id)
        if kind == "microphone":
            source = rtc.AudioSource(48_000, 1)
            track = rtc.LocalAudioTrack.create_audio_track(kind, source)
        else:
            source = rtc.VideoSource(1280, 720)
            track = rtc.LocalVideoTrack.create_video_track(kind, source)
        options = rtc.TrackPublishOptions(source=getattr(rtc.TrackSource, _SOURCES[kind]))
        publication = await self._room.local_participant.publish_track(track, options)
        pump = self._tasks.spawn(self._pump(kind, capture, source, rtc), f"publish-{kind}")
        self._published[kind] = _Published(capture, track, publication, pump)

    async def set_muted(self, kind: str, muted: bool) -> None:
        published = self._published.get(kind)
        if published is not None:
            (published.track.mute if muted else published.track.unmute)()

    async def unpublish(self, kind: str) -> None:
        published = self._published.pop(kind, None)
        if published is None:
            return
        await self._tasks.cancel(published.pump)
        if self._room.isconnected():
            await self._room.local_participant.unpublish_track(published.publication.sid)
        close = getattr(published.capture, "aclose", None)
        if close is not None:
            await close()

    async def aclose(self) -> None:
        for kind in list(self._published):
            await self.unpublish(kind)

    async def _pump(self, kind: str, capture: Any, source: Any, rtc: Any) -> None:
        async for data in capture:
            if kind == "microphone":
                pcm = np.asarray(data, dtype=np.int16).reshape(-1, 1)
                await source.capture_frame(rtc.AudioFrame(pcm, 48_000, 1))
                self._on_frame(kind, float(np.sqrt(np.mean((pcm / 32768.0) ** 2))))
            else:
                height, width = data.shape[:2]
                source.capture_frame(rtc.VideoFrame(width, height, rtc.VideoFormat.RGB24, data))
                self._on_frame(kind, data)

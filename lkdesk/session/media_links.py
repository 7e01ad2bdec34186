"""Wiring between capture devices, lkdesk.rtc sources and remote audio playback.

Each link is one owned task: ``MediaLink.start(...)`` then ``await link.aclose()``. A
device failure ends the link with the device's error kept in ``link.error`` and an
``ended`` callback, so the session can tell the user while everything else goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterable, Awaitable, Callable

from lkdesk.core.errors import LkdeskError
from lkdesk.media.playback import PlaybackInput
from lkdesk.rtc import (
    AudioFrame,
    AudioSource,
    AudioStream,
    RemoteTrack,
    VideoFrameEvent,
    VideoSource,
)

logger = logging.getLogger(__name__)


class MediaLink:
    """One running pump; ``error`` holds why it stopped early, if it did."""

    def __init__(
        self,
        pump: Awaitable[None],
        name: str,
        on_ended: Callable[[MediaLink], None] | None = None,
    ) -> None:
        self.name = name
        self.error: LkdeskError | None = None
        self._on_ended = on_ended
        self._task = asyncio.get_running_loop().create_task(
            self._run(pump), name=f"lkdesk-link-{name}"
        )

    async def _run(self, pump: Awaitable[None]) -> None:
        try:
            await pump
        except LkdeskError as exc:
            self.error = exc
            logger.warning("%s stopped: %s", self.name, exc)
        finally:
            if self._on_ended is not None and not self._task.cancelled():
                self._on_ended(self)

    @property
    def running(self) -> bool:
        return not self._task.done()

    async def aclose(self) -> None:
        self._on_ended = None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def pump_video(frames: AsyncIterable[VideoFrameEvent], source: VideoSource) -> None:
    """Camera or screen frames into a :class:`VideoSource` (newest frame wins)."""
    async for event in frames:
        source.capture_frame(event.frame, timestamp_us=event.timestamp_us)


async def pump_audio(frames: AsyncIterable[AudioFrame], source: AudioSource) -> None:
    """Microphone PCM into an :class:`AudioSource` (its queue applies back-pressure)."""
    async for frame in frames:
        await source.capture_frame(frame)


async def play_track(track: RemoteTrack, output: PlaybackInput) -> None:
    """A remote audio track into one input of the playback mixer."""
    stream = AudioStream(track)
    try:
        async for event in stream:
            output.push(event.frame)
    finally:
        await stream.aclose()
        output.close()

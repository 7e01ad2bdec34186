"""Bounded async iterators over a remote track's decoded frames.

A track pushes raw decoded frames (PyAV objects) into every open stream. Each stream keeps
at most ``capacity`` of them and drops the oldest, so a slow consumer loses stale frames
instead of growing memory. Pixel conversion happens in a worker thread when the consumer
pulls a frame, so a frame nobody reads is never converted and the loop is never blocked.
A video stream told the size its frames are shown at (:meth:`VideoStream.set_size`)
converts and scales in the same single pass (libswscale), straight from the decoded I420
to a picture of that size, so whoever paints it only copies pixels.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from lkdesk.core.frames import (
    AudioFrame,
    AudioFrameEvent,
    VideoFormat,
    VideoFrame,
    VideoFrameEvent,
    fitted_size,
)
from lkdesk.rtc.types import TrackKind

if TYPE_CHECKING:
    from lkdesk.rtc.track import RemoteTrack

_VIDEO_CLOCK = 90_000


class _FrameBuffer:
    """Latest-``capacity`` frames with a wake-up event; closing ends iteration."""

    def __init__(self, capacity: int) -> None:
        self._frames: collections.deque[Any] = collections.deque(maxlen=capacity)
        self._ready = asyncio.Event()
        self._closed = False
        self.dropped = 0

    def push(self, frame: Any) -> None:
        if self._closed:
            return
        if len(self._frames) == self._frames.maxlen:
            self.dropped += 1
        self._frames.append(frame)
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    async def pop(self) -> Any:
        while not self._frames:
            if self._closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()


class VideoStream:
    """``async for event in VideoStream(track)`` yields :class:`VideoFrameEvent`."""

    def __init__(
        self, track: RemoteTrack, *, format: VideoFormat = VideoFormat.RGB24, capacity: int = 2
    ) -> None:
        if track.kind != TrackKind.KIND_VIDEO:
            raise ValueError("VideoStream needs a video track")
        self._track = track
        self._format = format
        self._buffer = _FrameBuffer(capacity)
        self._box: tuple[int, int, bool] = (0, 0, True)
        self._reformatter = VideoReformatter()  # keeps its scaler between frames
        track.add_sink(self._buffer)

    @property
    def dropped_frames(self) -> int:
        """How many frames were discarded because the consumer was slower."""
        return self._buffer.dropped

    def set_size(self, width: int, height: int, *, cover: bool = True) -> None:
        """Deliver the following frames scaled for a ``width``×``height`` view, aspect kept:
        filling it (``cover``, the overflow for the viewer to crop) or fitting in it.
        ``0, 0``: as decoded."""
        self._box = (max(0, width), max(0, height), cover)

    def __aiter__(self) -> AsyncIterator[VideoFrameEvent]:
        return self

    async def __anext__(self) -> VideoFrameEvent:
        raw: av.VideoFrame = await self._buffer.pop()
        frame = await asyncio.to_thread(self._convert, raw)
        return VideoFrameEvent(frame, int(raw.pts or 0) * 1_000_000 // _VIDEO_CLOCK)

    def _convert(self, raw: av.VideoFrame) -> VideoFrame:
        """One pass from the decoded frame to ``format`` at the requested size (a worker
        thread; libswscale runs without the GIL)."""
        started = time.perf_counter()
        box_w, box_h, cover = self._box
        width, height = fitted_size(raw.width, raw.height, box_w, box_h, cover=cover)
        picture = self._reformatter.reformat(
            raw,
            format=self._format.value,
            width=width,
            height=height,
            interpolation=_interpolation(raw.width, width),
        )
        view = picture.to_ndarray()  # a view over the converted picture
        # Padded rows are packed here, not by the consumer.
        data = np.ascontiguousarray(view, dtype=np.uint8)
        self._track.total_conversion_time += time.perf_counter() - started
        return VideoFrame(width, height, self._format, data)

    async def aclose(self) -> None:
        """Stop receiving frames; iteration ends after the buffered ones."""
        self._track.remove_sink(self._buffer)
        self._buffer.close()


def _interpolation(source_width: int, width: int) -> str:
    """libswscale's filter: fast bilinear down to half size (a tile in a grid), area
    averaging below that (a thumbnail), bilinear up."""
    if width > source_width:
        return "BILINEAR"
    return "FAST_BILINEAR" if 2 * width >= source_width else "AREA"


class AudioStream:
    """``async for event in AudioStream(track)`` yields 48 kHz :class:`AudioFrameEvent`."""

    def __init__(self, track: RemoteTrack, *, num_channels: int = 1, capacity: int = 50) -> None:
        if track.kind != TrackKind.KIND_AUDIO:
            raise ValueError("AudioStream needs an audio track")
        if num_channels not in (1, 2):
            raise ValueError("num_channels must be 1 or 2")
        self._track = track
        self._channels = num_channels
        self._buffer = _FrameBuffer(capacity)
        track.add_sink(self._buffer)

    @property
    def dropped_frames(self) -> int:
        """How many frames were discarded because the consumer was slower."""
        return self._buffer.dropped

    def __aiter__(self) -> AsyncIterator[AudioFrameEvent]:
        return self

    async def __anext__(self) -> AudioFrameEvent:
        raw: av.AudioFrame = await self._buffer.pop()
        return AudioFrameEvent(to_pcm(raw, self._channels))

    async def aclose(self) -> None:
        """Stop receiving frames; iteration ends after the buffered ones."""
        self._track.remove_sink(self._buffer)
        self._buffer.close()


def to_pcm(raw: av.AudioFrame, num_channels: int) -> AudioFrame:
    """Interleaved s16 PCM with the requested channel count (aiortc decodes to s16)."""
    source_channels = len(raw.layout.channels)
    samples = raw.to_ndarray()
    pcm = samples.T if raw.format.is_planar else samples.reshape(-1, source_channels)
    pcm = pcm.astype(np.int16, copy=False)
    if source_channels != num_channels:
        if num_channels == 1:
            pcm = pcm.mean(axis=1, dtype=np.int32).astype(np.int16)[:, None]
        else:
            pcm = np.repeat(pcm[:, :1], 2, axis=1)
    return AudioFrame(np.ascontiguousarray(pcm), raw.sample_rate, num_channels)

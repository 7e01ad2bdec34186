"""Push-style media sources (official SDK names) feeding aiortc sender tracks.

``VideoSource.capture_frame`` may be called from any thread or task; the newest frame
wins. ``AudioSource.capture_frame`` is awaited by the producer and applies back-pressure
when more than ``queue_size_ms`` is buffered; the sender side paces audio in real time.
"""

from __future__ import annotations

import asyncio
import fractions
import threading
import time
from collections import deque
from collections.abc import Callable

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from lkdesk.rtc.frames import AudioFrame, VideoFrame

VIDEO_CLOCK = 90_000
AUDIO_PTIME_S = 0.020


class VideoSource:
    """Frames pushed by a capturer; read by every track created from this source."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self._lock = threading.Lock()
        self._latest: tuple[VideoFrame, int] | None = None
        self._sequence = 0
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self.frames_captured = 0

    def capture_frame(self, frame: VideoFrame, timestamp_us: int | None = None) -> None:
        """Offer a frame (any thread). Older frames not yet sent are replaced."""
        stamp = timestamp_us if timestamp_us is not None else time.monotonic_ns() // 1000
        with self._lock:
            self._latest = (frame, stamp)
            self._sequence += 1
            self.frames_captured += 1
            waiters = list(self._waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    def _subscribe(self, event: asyncio.Event) -> None:
        with self._lock:
            self._waiters.append((asyncio.get_running_loop(), event))

    def _unsubscribe(self, event: asyncio.Event) -> None:
        with self._lock:
            self._waiters = [(lp, ev) for lp, ev in self._waiters if ev is not event]

    def _newer_than(self, sequence: int) -> tuple[VideoFrame, int, int] | None:
        """The latest frame if it is newer than ``sequence`` (each reader keeps its own)."""
        with self._lock:
            if self._latest is None or self._sequence <= sequence:
                return None
            frame, stamp = self._latest
            return frame, stamp, self._sequence

    async def aclose(self) -> None:
        """Present for API parity; a source owns no resources."""


class AudioSource:
    """PCM pushed by a capturer; ``await capture_frame`` waits while the queue is full."""

    def __init__(self, sample_rate: int = 48_000, num_channels: int = 1, queue_size_ms: int = 200):
        self.sample_rate = sample_rate
        self.num_channels = num_channels
        self._max_samples = sample_rate * queue_size_ms // 1000
        self._chunks: deque[np.ndarray] = deque()
        self._queued = 0
        self._drained = asyncio.Event()

    @property
    def queued_duration(self) -> float:
        """Seconds of audio waiting to be sent."""
        return self._queued / self.sample_rate

    async def capture_frame(self, frame: AudioFrame) -> None:
        """Queue a frame; returns once it fits in the queue (real-time back-pressure)."""
        if frame.sample_rate != self.sample_rate or frame.num_channels != self.num_channels:
            raise ValueError(
                f"AudioSource expects {self.sample_rate} Hz x{self.num_channels}, got "
                f"{frame.sample_rate} Hz x{frame.num_channels}"
            )
        while self._queued >= self._max_samples:
            self._drained.clear()
            await self._drained.wait()
        self._chunks.append(frame.data)
        self._queued += frame.samples_per_channel

    def clear_queue(self) -> None:
        """Drop everything not yet sent (e.g. on mute)."""
        self._chunks.clear()
        self._queued = 0
        self._drained.set()

    def _read(self, samples: int) -> np.ndarray:
        """Exactly ``samples`` frames of PCM, padded with silence on underrun."""
        out = np.zeros((samples, self.num_channels), dtype=np.int16)
        filled = 0
        while filled < samples and self._chunks:
            chunk = self._chunks[0]
            take = min(samples - filled, chunk.shape[0])
            out[filled : filled + take] = chunk[:take]
            filled += take
            if take == chunk.shape[0]:
                self._chunks.popleft()
            else:
                self._chunks[0] = chunk[take:]
        self._queued -= filled
        self._drained.set()
        return out

    async def aclose(self) -> None:
        self.clear_queue()


class _MutableTrack(MediaStreamTrack):
    """A sender track whose ``recv()`` waits while muted, so nothing is sent at all."""

    def __init__(self) -> None:
        super().__init__()
        self.muted = False
        self._unmuted = asyncio.Event()
        self._unmuted.set()

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if muted:
            self._unmuted.clear()
        else:
            self._unmuted.set()


class SourceVideoTrack(_MutableTrack):
    """aiortc track reading a :class:`VideoSource`; blocks while muted (no bytes sent)."""

    kind = "video"

    def __init__(self, source: VideoSource, max_fps: float | None = None) -> None:
        super().__init__()
        self._source = source
        self._event = asyncio.Event()
        self._subscribed = False
        self._min_interval_us = int(1_000_000 / max_fps) if max_fps else 0
        self._next_due_us: int | None = None
        self._before_encode: Callable[[], None] | None = None
        self._origin_us: int | None = None
        self._seen = 0

    def set_limits(self, max_fps: float | None, before_encode: Callable[[], None] | None) -> None:
        """Drop frames above ``max_fps``; run ``before_encode`` before each frame goes out."""
        self._min_interval_us = int(1_000_000 / max_fps) if max_fps else 0
        self._before_encode = before_encode

    def _on_schedule(self, stamp: int) -> bool:
        """Frame-rate limit on an ideal schedule: capture jitter of up to half a frame
        interval is tolerated, so a 30 fps camera under a 30 fps limit loses nothing."""
        interval = self._min_interval_us
        if not interval:
            return True
        due = self._next_due_us
        if due is not None and stamp < due - interval // 2:
            return False
        if due is None or stamp > due + interval:
            due = stamp  # first frame, or the source paused: restart the schedule
        self._next_due_us = due + interval
        return True

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if not self._subscribed:
            self._source._subscribe(self._event)
            self._subscribed = True
        while True:
            await self._unmuted.wait()
            self._event.clear()
            taken = self._source._newer_than(self._seen)
            if taken is None:
                await self._event.wait()
                continue
            frame, stamp, self._seen = taken
            if not self._on_schedule(stamp):
                continue  # over the publish fps limit
            if self._origin_us is None:
                self._origin_us = stamp
            out = av.VideoFrame.from_ndarray(frame.data, format=frame.format.value)
            out.pts = (stamp - self._origin_us) * VIDEO_CLOCK // 1_000_000
            out.time_base = fractions.Fraction(1, VIDEO_CLOCK)
            if self._before_encode is not None:
                self._before_encode()
            return out

    def stop(self) -> None:
        if self._subscribed:
            self._source._unsubscribe(self._event)
            self._subscribed = False
        super().stop()


class SourceAudioTrack(_MutableTrack):
    """aiortc track pulling 20 ms of PCM from an :class:`AudioSource` in real time."""

    kind = "audio"

    def __init__(self, source: AudioSource) -> None:
        super().__init__()
        self._source = source
        self._start: float | None = None
        self._sent = 0

    def set_muted(self, muted: bool) -> None:
        """Muted: nothing is sent at all; RTP time keeps advancing across the gap."""
        super().set_muted(muted)
        if muted:
            self._source.clear_queue()

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        rate = self._source.sample_rate
        samples = int(rate * AUDIO_PTIME_S)
        if self.muted:
            paused_at = time.monotonic()
            await self._unmuted.wait()
            gap = int((time.monotonic() - paused_at) * rate) // samples * samples
            self._sent += gap
            self._source.clear_queue()
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._sent / rate - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        elif wait < -0.5:  # the loop stalled: restart the clock instead of bursting
            self._start = time.monotonic() - self._sent / rate
        pcm = self._source._read(samples)
        layout = "mono" if self._source.num_channels == 1 else "stereo"
        out = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout=layout)
        out.sample_rate = rate
        out.pts = self._sent
        out.time_base = fractions.Fraction(1, rate)
        self._sent += samples
        return out

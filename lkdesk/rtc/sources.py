"""Push-style media sources (official SDK names) read by the engine's sender tracks.

``VideoSource.capture_frame`` may be called from any thread or task; the newest frame
wins. ``AudioSource.capture_frame`` is awaited by the producer and applies back-pressure
when more than ``queue_size_ms`` is buffered; the sender side paces audio in real time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque

import numpy as np

from lkdesk.core.frames import AudioFrame, VideoFrame


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

    def add_waiter(self, event: asyncio.Event) -> None:
        with self._lock:
            self._waiters.append((asyncio.get_running_loop(), event))

    def remove_waiter(self, event: asyncio.Event) -> None:
        with self._lock:
            self._waiters = [(lp, ev) for lp, ev in self._waiters if ev is not event]

    def newer_than(self, sequence: int) -> tuple[VideoFrame, int, int] | None:
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

    def read_samples(self, samples: int) -> np.ndarray:
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

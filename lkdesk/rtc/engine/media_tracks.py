"""aiortc sender tracks reading lkdesk's push sources (``rtc.VideoSource``/``rtc.AudioSource``).

A muted track blocks in ``recv()``, so nothing at all is sent; audio is paced in real time
in 20 ms frames and its RTP time keeps advancing across a mute.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable
from typing import Protocol

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from lkdesk.core.frames import VideoFrame
from lkdesk.rtc.engine.adapt.media_stats import SendCounters

VIDEO_CLOCK = 90_000
AUDIO_PTIME_S = 0.020


class VideoFrames(Protocol):
    """What a video sender track needs from ``rtc.VideoSource``."""

    def add_waiter(self, event: asyncio.Event) -> None: ...

    def remove_waiter(self, event: asyncio.Event) -> None: ...

    def newer_than(self, sequence: int) -> tuple[VideoFrame, int, int] | None: ...


class AudioSamples(Protocol):
    """What an audio sender track needs from ``rtc.AudioSource``."""

    @property
    def sample_rate(self) -> int: ...

    @property
    def num_channels(self) -> int: ...

    def read_samples(self, samples: int) -> np.ndarray: ...

    def clear_queue(self) -> None: ...


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
    """aiortc track reading a ``VideoSource``; blocks while muted (no bytes sent)."""

    kind = "video"

    def __init__(self, source: VideoFrames, max_fps: float | None = None) -> None:
        super().__init__()
        self._source = source
        self._event = asyncio.Event()
        self._subscribed = False
        self._min_interval_us = int(1_000_000 / max_fps) if max_fps else 0
        self._next_due_us: int | None = None
        self._before_encode: Callable[[], None] | None = None
        self._origin_us: int | None = None
        self._seen = 0
        self.counters = SendCounters()  # frames, size, conversion and encode time

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
            self._source.add_waiter(self._event)
            self._subscribed = True
        while True:
            await self._unmuted.wait()
            self._event.clear()
            taken = self._source.newer_than(self._seen)
            if taken is None:
                await self._event.wait()
                continue
            frame, stamp, self._seen = taken
            if not self._on_schedule(stamp):
                continue  # over the publish fps limit
            if self._origin_us is None:
                self._origin_us = stamp
            started = time.perf_counter()
            if frame.i420 is not None:  # a camera's: converted once, in its capture thread
                out = av.VideoFrame.from_ndarray(frame.i420, format="yuv420p")
            else:
                out = av.VideoFrame.from_ndarray(frame.data, format=frame.format.value)
            self.counters.frame_converted(out.width, out.height, time.perf_counter() - started)
            out.pts = (stamp - self._origin_us) * VIDEO_CLOCK // 1_000_000
            out.time_base = fractions.Fraction(1, VIDEO_CLOCK)
            if self._before_encode is not None:
                self._before_encode()
            return out

    def stop(self) -> None:
        if self._subscribed:
            self._source.remove_waiter(self._event)
            self._subscribed = False
        super().stop()


class SourceAudioTrack(_MutableTrack):
    """aiortc track pulling 20 ms of PCM from an ``AudioSource`` in real time."""

    kind = "audio"

    def __init__(self, source: AudioSamples) -> None:
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
        pcm = self._source.read_samples(samples)
        layout = "mono" if self._source.num_channels == 1 else "stereo"
        out = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout=layout)
        out.sample_rate = rate
        out.pts = self._sent
        out.time_base = fractions.Fraction(1, rate)
        self._sent += samples
        return out

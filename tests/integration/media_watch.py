"""What an official-SDK subscriber sees of a remote track: frame times and sizes, audio.

:class:`VideoWatch` keeps every decoded frame's arrival time and size (frame rate, freezes,
which simulcast layer arrives); :class:`AudioWatch` keeps 10 ms frames of a tone and counts
the ones that are missing: too quiet, or not the tone (10 ms of 440 Hz is 4.4 periods, so
the check is the frame's correlation with the tone at its best phase, not an FFT).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from livekit import rtc as sdk

AUDIO_RATE = 48_000
FRAME_10MS = AUDIO_RATE // 100


@dataclass
class VideoWatch:
    """Decoded frames of one remote video track: (monotonic time, width, height)."""

    track: sdk.RemoteTrack
    frames: list[tuple[float, int, int]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def start(self) -> VideoWatch:
        self._task = asyncio.create_task(self._run(), name="video-watch")
        return self

    async def _run(self) -> None:
        stream = sdk.VideoStream(self.track)
        try:
            async for event in stream:
                self.frames.append((time.monotonic(), event.frame.width, event.frame.height))
        finally:
            await stream.aclose()

    def between(self, start: float, end: float) -> list[tuple[float, int, int]]:
        return [f for f in self.frames if start <= f[0] <= end]

    def fps(self, start: float, end: float) -> float:
        return len(self.between(start, end)) / (end - start)

    def longest_gap(self, start: float, end: float) -> float:
        times = [start] + [f[0] for f in self.between(start, end)] + [end]
        return max(b - a for a, b in itertools.pairwise(times))

    def timeline(self, start: float, end: float) -> str:
        """Frames per second and the heights seen in each second, for failure reports."""
        out = []
        second = start
        while second < end:
            frames = self.between(second, second + 1)
            heights = sorted({f[2] for f in frames})
            out.append(f"{len(frames)}@{'/'.join(map(str, heights)) or '-'}")
            second += 1
        return " ".join(out)

    def latest_size(self) -> tuple[int, int] | None:
        return self.frames[-1][1:] if self.frames else None

    async def until_size(self, height: int, deadline_s: float) -> tuple[int, int] | None:
        """Wait until frames of ``height`` lines arrive; the size seen last."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(deadline_s):
                while True:
                    size = self.latest_size()
                    if size is not None and size[1] == height:
                        return size
                    await asyncio.sleep(0.1)
        return self.latest_size()

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass
class AudioWatch:
    """10 ms frames of a received tone, with their arrival times."""

    track: sdk.RemoteTrack
    freq_hz: float
    frames: list[tuple[float, np.ndarray]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def start(self) -> AudioWatch:
        self._task = asyncio.create_task(self._run(), name="audio-watch")
        return self

    async def _run(self) -> None:
        stream = sdk.AudioStream(
            self.track, sample_rate=AUDIO_RATE, num_channels=1, frame_size_ms=10
        )
        try:
            async for event in stream:
                pcm = np.frombuffer(event.frame.data, dtype=np.int16).astype(np.float64)
                self.frames.append((time.monotonic(), pcm))
        finally:
            await stream.aclose()

    def missing(self, start: float, end: float, amplitude: float) -> tuple[int, int]:
        """(missing 10 ms frames, frames) received between ``start`` and ``end``.

        A frame is there when it is at least half the tone's level and looks like the tone
        (normalised correlation ≥ 0.8 at the best phase)."""
        n = np.arange(FRAME_10MS)
        step = 2 * math.pi * self.freq_hz / AUDIO_RATE
        sin, cos = np.sin(step * n), np.cos(step * n)
        expected_rms = amplitude * 32767 / math.sqrt(2)
        window = [pcm for t, pcm in self.frames if start <= t <= end and pcm.size == FRAME_10MS]
        missing = 0
        for pcm in window:
            rms = float(np.sqrt(np.mean(pcm * pcm)))
            a, b = float(pcm @ sin), float(pcm @ cos)
            fit = math.hypot(a, b) / (
                math.sqrt(float(pcm @ pcm)) * math.sqrt(FRAME_10MS / 2) + 1e-9
            )
            if rms < 0.5 * expected_rms or fit < 0.8:
                missing += 1
        return missing, len(window)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def inbound_stats(track: sdk.RemoteTrack) -> dict[str, Any]:
    """The SDK's inbound-rtp figures for ``track`` (libwebrtc's own counting)."""
    for stats in await track.get_stats():
        if stats.WhichOneof("stats") == "inbound_rtp":
            inbound = stats.inbound_rtp.inbound
            received = stats.inbound_rtp.received
            return {
                "packets_lost": received.packets_lost,
                "packets_received": received.packets_received,
                "concealed_samples": inbound.concealed_samples,
                "total_samples_received": inbound.total_samples_received,
                "frames_decoded": inbound.frames_decoded,
                "frames_received": inbound.frames_received,
                "frames_dropped": inbound.frames_dropped,
                "key_frames_decoded": inbound.key_frames_decoded,
                "pli_count": inbound.pli_count,
                "nack_count": inbound.nack_count,
                "freeze_count": inbound.freeze_count,
                "total_freeze_duration": inbound.total_freeze_duration,
                "frame_width": inbound.frame_width,
                "frame_height": inbound.frame_height,
                "bytes_received": inbound.bytes_received,
            }
    return {}

"""The far-end reference for echo cancellation: what lkdesk's playback actually played.

:class:`AudioPlayback` writes its final mix (after volume and clipping, exactly what the
speaker gets) from PortAudio's thread; the processing worker reads one 10 ms frame per
microphone frame. Frames pass through a ``deque`` (atomic append/popleft, no lock in the audio
thread). Because each played frame is consumed by exactly one captured frame, the alignment
between reference and echo stays fixed however bursty the two devices' callbacks are; WebRTC's
delay estimator finds that offset (tens to hundreds of ms).

Two devices never share a clock, so the queue slowly fills or empties. A backlog beyond
``HIGH_WATER_MS`` (the microphone started late, was reopened, or runs slower) is dropped down
to ``TARGET_MS`` so the reference always stays ahead of the echo it explains; an empty queue
yields silence (nothing was played). Either is one small jump the canceller re-converges on.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

RATE = 48_000
FRAME = RATE // 100
HIGH_WATER_MS = 250
TARGET_MS = 30
MAX_BACKLOG_MS = 1000

Float32 = npt.NDArray[np.float32]
Int16 = npt.NDArray[np.int16]


def resample_linear(x: Float32, rate_in: int, rate_out: int) -> Float32:
    """``x`` at ``rate_out`` by linear interpolation (cheap; for format fixes only)."""
    if rate_in == rate_out or x.size == 0:
        return x
    n_out = round(x.size * rate_out / rate_in)
    positions = np.arange(n_out, dtype=np.float64) * (rate_in / rate_out)
    return np.interp(positions, np.arange(x.size), x).astype(np.float32)


class EchoReference:
    """A bounded FIFO of 10 ms, 48 kHz mono int16 reference frames."""

    def __init__(self) -> None:
        self._frames: deque[Int16] = deque()
        self._partial: Float32 = np.zeros(0, dtype=np.float32)  # writer thread only
        self.dropped_frames = 0
        self.silent_frames = 0

    @property
    def buffered_ms(self) -> int:
        return len(self._frames) * 10

    def write(self, mix: Float32, rate: int = RATE) -> None:
        """Playback thread: append what was just played (mono float32 in -1..1)."""
        if rate != RATE:
            mix = resample_linear(mix, rate, RATE)
        data = np.concatenate([self._partial, mix]) if self._partial.size else mix
        whole = data.size - data.size % FRAME
        for start in range(0, whole, FRAME):
            chunk = data[start : start + FRAME] * 32767.0
            self._frames.append(np.clip(chunk, -32768, 32767).astype(np.int16))
        self._partial = data[whole:].copy()
        while len(self._frames) > MAX_BACKLOG_MS // 10:  # nobody reads: stay bounded
            self._pop()
            self.dropped_frames += 1

    def read(self) -> Int16:
        """Processing thread: the next reference frame (silence when nothing was played)."""
        if len(self._frames) > HIGH_WATER_MS // 10:
            while len(self._frames) > TARGET_MS // 10:
                self._pop()
                self.dropped_frames += 1
        frame = self._pop()
        if frame is None:
            self.silent_frames += 1
            return np.zeros(FRAME, dtype=np.int16)
        return frame

    def clear(self) -> None:
        """Forget the backlog (e.g. when the speaker is switched)."""
        while self._pop() is not None:
            pass

    def _pop(self) -> Int16 | None:
        try:
            return self._frames.popleft()
        except IndexError:  # the other thread took the last one
            return None

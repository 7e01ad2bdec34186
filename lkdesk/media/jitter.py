"""A small jitter buffer for one remote audio input (pure logic, no threads, no locks).

Samples are mono float32 in a fixed ring. Playback starts once ``start_samples`` are
buffered; an underrun plays what is left, then silence, and buffers again. Writing more than
fits drops the oldest samples down to the start level: a backlog (a device that starts late,
clock drift, a burst from the network) costs one skip instead of lasting extra latency, and
latency never exceeds ``capacity``.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]


class JitterState(StrEnum):
    BUFFERING = "buffering"
    PLAYING = "playing"


class JitterBuffer:
    """Ring of ``capacity`` samples; reads wait for ``start_samples`` after each underrun."""

    def __init__(self, capacity: int, start_samples: int) -> None:
        if not 0 < start_samples <= capacity:
            raise ValueError("need 0 < start_samples <= capacity")
        self.capacity = capacity
        self.start_samples = start_samples
        self._ring: Samples = np.zeros(capacity, dtype=np.float32)
        self._read = 0  # index of the oldest sample
        self._size = 0
        self.state = JitterState.BUFFERING
        self.underruns = 0
        self.dropped_samples = 0

    @property
    def buffered(self) -> int:
        return self._size

    def clear(self) -> None:
        """Forget everything buffered and wait for ``start_samples`` again."""
        self._read = self._size = 0
        self.state = JitterState.BUFFERING

    def write(self, samples: Samples) -> None:
        """Append; on overflow the oldest samples are dropped down to the start level."""
        n = int(samples.shape[0])
        if n == 0:
            return
        if n >= self.capacity:
            self.dropped_samples += self._size + n - self.capacity
            self._ring[:] = samples[n - self.capacity :]
            self._read, self._size = 0, self.capacity
            return
        if self._size + n > self.capacity:
            drop = self._size - max(self.start_samples - n, 0)
            self._read = (self._read + drop) % self.capacity
            self._size -= drop
            self.dropped_samples += drop
        start = (self._read + self._size) % self.capacity
        first = min(n, self.capacity - start)
        self._ring[start : start + first] = samples[:first]
        self._ring[: n - first] = samples[first:]
        self._size += n

    def read_into(self, out: Samples) -> int:
        """Fill ``out``; returns how many samples are real audio (the rest is silence)."""
        n = int(out.shape[0])
        if self.state == JitterState.BUFFERING:
            if self._size < self.start_samples:
                out[:] = 0.0
                return 0
            self.state = JitterState.PLAYING
        take = min(n, self._size)
        first = min(take, self.capacity - self._read)
        out[:first] = self._ring[self._read : self._read + first]
        out[first:take] = self._ring[: take - first]
        out[take:] = 0.0
        self._read = (self._read + take) % self.capacity
        self._size -= take
        if take < n:
            self.underruns += 1
            self.state = JitterState.BUFFERING
        return take

"""The far-end reference for echo cancellation: what lkdesk's playback actually played.

:class:`AudioPlayback` writes its final mix (after volume and clipping, exactly what the
speaker gets) from PortAudio's thread into a ring of the last ``HISTORY_MS``, numbered by
sample since the playback first wrote. The microphone's processing worker reads from it by
number, never "the next frame": which played sample goes with which captured sample is fixed
when the microphone captures (:class:`ReferenceClock`), not when the worker gets round to it.

Why by number. The first version paired each processed microphone frame with the oldest
queued reference frame, and dropped the queue to 30 ms when it grew past 250 ms (and played
silence when it was empty). But the queue also grows whenever the worker falls behind the
microphone (a busy machine, a garbage collection, an import): each such stall dropped up to a
quarter of a second of reference, shifting the echo's apparent delay by as much, and the
catch-up then emptied the queue and shifted it back by another random amount. Measured on the
acoustic loop: the 80 ms loop's apparent delay went from 20 ms (one silent frame from being
non-causal) to 150 ms when processing was switched on, the double-talk run's from 147 to
213 ms mid-sentence; every jump sends AEC3 back to finding the delay and converging.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

RATE = 48_000
FRAME = RATE // 100
HISTORY_MS = 4000
"""How much of what was played stays readable: the worker's worst backlog plus the delay."""

Float32 = npt.NDArray[np.float32]
Int16 = npt.NDArray[np.int16]


def resample_linear(x: Float32, rate_in: int, rate_out: int) -> Float32:
    """``x`` at ``rate_out`` by linear interpolation (cheap; for format fixes only)."""
    if rate_in == rate_out or x.size == 0:
        return x
    n_out = round(x.size * rate_out / rate_in)
    positions = np.arange(n_out, dtype=np.float64) * (rate_in / rate_out)
    return np.interp(positions, np.arange(x.size), x).astype(np.float32)


def samples_at_48k(count: int, rate: int) -> int:
    """How many 48 kHz samples ``count`` samples at ``rate`` become (as resample_linear)."""
    return count if rate == RATE else round(count * RATE / rate)


class EchoReference:
    """What was played, as 48 kHz mono int16, addressable by sample number.

    One writer (the playback's audio thread) and one reader (the processing worker), no lock:
    a slot is filled before ``written`` moves past it, and a slot is only reused
    ``HISTORY_MS`` later, far beyond any read in flight.
    """

    def __init__(self) -> None:
        self._slots = HISTORY_MS // 10
        self._ring: list[Int16 | None] = [None] * self._slots
        self._tags: list[int] = [-1] * self._slots  # which frame number each slot holds
        self._frames = 0  # frames completed (writer only; readers use ``written``)
        self._partial: Float32 = np.zeros(0, dtype=np.float32)  # writer thread only
        self._written = 0
        self.missing_frames = 0
        """Reads of played audio that had already left the history (the worker was late)."""

    @property
    def written(self) -> int:
        """48 kHz samples written so far (whole frames; monotonic, read from any thread)."""
        return self._written

    def write(self, mix: Float32, rate: int = RATE) -> None:
        """Playback thread: append what was just played (mono float32 in -1..1)."""
        if rate != RATE:
            mix = resample_linear(mix, rate, RATE)
        data = np.concatenate([self._partial, mix]) if self._partial.size else mix
        whole = data.size - data.size % FRAME
        for start in range(0, whole, FRAME):
            chunk = data[start : start + FRAME] * 32767.0
            number = self._frames
            slot = number % self._slots
            self._ring[slot] = np.clip(chunk, -32768, 32767).astype(np.int16)
            self._tags[slot] = number
            self._frames = number + 1
            self._written = self._frames * FRAME
        self._partial = data[whole:].copy()

    def read(self, start: int, count: int = FRAME) -> Int16:
        """Worker: played samples ``start`` .. ``start + count``; silence where none was."""
        out = np.zeros(count, dtype=np.int16)
        written = self._written
        end = min(start + count, written)
        position = max(start, 0)
        oldest = written - (self._slots - 1) * FRAME
        if position < oldest:  # the worker fell further behind than the history reaches
            self.missing_frames += 1
            position = oldest
        while position < end:
            number, offset = divmod(position, FRAME)
            slot = number % self._slots
            frame = self._ring[slot]
            take = min(FRAME - offset, end - position)
            if frame is not None and self._tags[slot] == number:
                out[position - start : position - start + take] = frame[offset : offset + take]
            position += take
        return out


class ReferenceClock:
    """Which played sample goes with which captured one: ``reference = captured + offset``.

    At every captured block (in capture order) the stage notes ``lead``: samples the playback
    had written minus samples the microphone had captured, both counted when the microphone's
    callback ran. With the speaker running steadily, the block's echo comes from samples
    written before that moment (they still had to go through the speaker's buffer, the room
    and the microphone's buffer), so pairing with an observed lead is causal; the delay AEC3
    then sees is the room's plus what sat in the two device buffers (AEC3 finds up to about
    500 ms). The offset is the lead's 10th percentile over half a second, so the samples a
    frame needs have nearly always been written when it is processed (the worker waits
    briefly for the others).

    The offset then stays put, so the canceller sees a fixed delay however late the worker
    runs. Every ``CHECK`` the target is the higher of the last two such percentiles (a
    stalled speaker callback drags one down, not two). The offset moves to a target more than
    ``LATER`` above it (later pairing is always safe: a new speaker with a deeper buffer,
    microphone samples lost) and to one more than ``EARLIER`` below it (the speaker fell that
    far behind: underruns, a new speaker, drift), which keeps the delay AEC3 sees within its
    range. Smaller moves are left to AEC3's own delay estimator: on the acoustic loop an
    underrun shifted the echo by 15-50 ms while the lead dropped by 50-100 ms (PulseAudio's
    own buffer plays on), so following the lead closely moved the pairing twice per underrun
    and AEC3 lost the echo for 2.5 s instead of re-finding it within a second. Nothing moves
    while the speaker is not playing.
    """

    CHECK = RATE // 2
    LATER = 4 * FRAME
    EARLIER = 15 * FRAME
    LOW = 10
    KEEP = 2

    def __init__(self) -> None:
        self.offset: int | None = None
        self.realigned = 0
        """How often the offset moved after it was first set."""
        self._leads: list[int] = []  # since the last check
        self._lows: deque[int] = deque(maxlen=self.KEEP)
        self._next_check = 0
        self._written_at_check = 0

    def observe(self, captured_end: int, written: int) -> None:
        """One captured block: ``captured_end`` samples so far, ``written`` at that moment."""
        if written <= 0:
            return  # nothing played yet: nothing to pair with
        if not self._next_check:
            self._next_check = captured_end + self.CHECK
            self._written_at_check = written
        self._leads.append(written - captured_end)
        if captured_end < self._next_check:
            return
        leads, self._leads = self._leads, []
        playing = written - self._written_at_check >= self.CHECK // 2
        self._next_check = captured_end + self.CHECK
        self._written_at_check = written
        if not playing:  # the speaker stopped or stalled: reads past its end give silence
            return
        self._lows.append(int(np.percentile(leads, self.LOW)))
        target = max(self._lows)
        if self.offset is None:
            self.offset = target
        elif target > self.offset + self.LATER or target < self.offset - self.EARLIER:
            self.offset = target
            self.realigned += 1

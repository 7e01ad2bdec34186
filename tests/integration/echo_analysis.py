"""Measurements for the acoustic-loop tests: levels per window, ERLE over time, speech levels.

Signals are int16 at one rate; levels are RMS in dBFS (full scale = 32768) over fixed windows.
ERLE (echo return loss enhancement) is the drop in level between the echo without processing
and what is left with processing, window by window, over windows where the echo is present.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FLOOR_DB = -120.0
WINDOW_S = 0.5
Samples = npt.NDArray[np.int16] | npt.NDArray[np.float64]


@dataclass(frozen=True)
class ErlePoint:
    """ERLE of one window; ``t`` is the window's end in seconds from the start."""

    t: float
    erle_db: float


def window_db(x: Samples, rate: int, window_s: float = WINDOW_S) -> npt.NDArray[np.float64]:
    """RMS level in dBFS of each whole window of ``x``."""
    n = int(rate * window_s)
    count = len(x) // n
    if count == 0:
        return np.zeros(0)
    frames = np.asarray(x[: count * n], dtype=np.float64).reshape(count, n) / 32768.0
    power = np.mean(frames**2, axis=1)
    return np.maximum(10 * np.log10(np.maximum(power, 1e-30)), FLOOR_DB)


def active_windows(
    x: Samples, rate: int, margin_db: float = 20.0, window_s: float = WINDOW_S
) -> npt.NDArray[np.bool_]:
    """Windows within ``margin_db`` of the loudest 10 % of windows (speech present)."""
    levels = window_db(x, rate, window_s)
    if levels.size == 0:
        return np.zeros(0, dtype=bool)
    top = float(np.percentile(levels, 90))
    mask: npt.NDArray[np.bool_] = levels >= top - margin_db
    return mask


def level_db(
    x: Samples, rate: int, mask: npt.NDArray[np.bool_], window_s: float = WINDOW_S
) -> float:
    """Power-average level (dBFS) of ``x`` over the windows selected by ``mask``."""
    levels = window_db(x, rate, window_s)
    n = min(levels.size, mask.size)
    chosen = levels[:n][mask[:n]]
    if chosen.size == 0:
        raise ValueError("no window selected")
    return float(10 * np.log10(np.mean(10 ** (chosen / 10))))


def erle_over_time(
    echo: Samples,
    processed: Samples,
    rate: int,
    *,
    active: Samples | None = None,
    margin_db: float = 20.0,
    window_s: float = WINDOW_S,
) -> list[ErlePoint]:
    """Per-window ERLE: level of ``echo`` minus level of ``processed`` (same timeline).

    Only windows where the echo is present count: those where ``active`` (the far-end
    signal; ``echo`` itself when None) is within ``margin_db`` of its loudest windows.
    """
    mask = active_windows(echo if active is None else active, rate, margin_db, window_s)
    before = window_db(echo, rate, window_s)
    after = window_db(processed, rate, window_s)
    n = min(before.size, after.size, mask.size)
    return [ErlePoint((i + 1) * window_s, float(before[i] - after[i])) for i in range(n) if mask[i]]


def steady_erle(points: list[ErlePoint], after_s: float) -> float:
    """Median ERLE of the windows ending after ``after_s`` (steady state)."""
    late = [p.erle_db for p in points if p.t > after_s]
    if not late:
        raise ValueError(f"no echo window after {after_s} s")
    return float(np.median(late))


def worst_erle(points: list[ErlePoint], after_s: float) -> float:
    """Lowest ERLE of the windows ending after ``after_s``."""
    late = [p.erle_db for p in points if p.t > after_s]
    if not late:
        raise ValueError(f"no echo window after {after_s} s")
    return min(late)


def time_to_reach(points: list[ErlePoint], target_db: float) -> float | None:
    """End of the window from which every later window has ERLE >= ``target_db``."""
    reached: float | None = None
    for point in points:
        if point.erle_db >= target_db:
            if reached is None:
                reached = point.t
        else:
            reached = None
    return reached


def offset_of(reference: Samples, recording: Samples) -> int:
    """Sample offset in ``recording`` where ``reference`` starts (peak cross-correlation).

    What a peer records is shifted by player start-up, network and jitter-buffer delays that
    differ from phase to phase; comparing levels window by window needs the same speech in
    the same windows, so each recording is aligned to the known clip first.
    """
    ref = np.asarray(reference, dtype=np.float64)
    rec = np.asarray(recording, dtype=np.float64)
    size = 1 << int(np.ceil(np.log2(ref.size + rec.size)))
    spectrum = np.fft.rfft(rec, size) * np.conj(np.fft.rfft(ref, size))
    correlation = np.fft.irfft(spectrum, size)[: rec.size]
    return int(np.argmax(np.abs(correlation)))


def aligned_to(reference: Samples, recording: Samples) -> npt.NDArray[np.float64]:
    """The part of ``recording`` that carries ``reference``, as long as it (zero-padded)."""
    start = offset_of(reference, recording)
    part = np.zeros(len(reference))
    chunk = np.asarray(recording[start : start + len(reference)], dtype=np.float64)
    part[: chunk.size] = chunk
    return part

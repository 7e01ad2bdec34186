"""The acoustic-loop measurements on signals whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from tests.integration.echo_analysis import (
    ErlePoint,
    active_windows,
    aligned_to,
    erle_over_time,
    level_db,
    offset_of,
    steady_erle,
    time_to_reach,
    window_db,
    worst_erle,
)

RATE = 48_000


def sine(seconds: float, amplitude: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * 32768 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def test_window_levels_are_rms_in_dbfs() -> None:
    levels = window_db(sine(2.0, 0.5), RATE)
    assert levels.shape == (4,)
    assert levels == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.05)
    assert window_db(np.zeros(RATE, dtype=np.int16), RATE) == pytest.approx(-120.0)


def test_erle_is_the_drop_over_windows_where_the_echo_is_present() -> None:
    echo = np.concatenate([sine(1.0, 0.3), np.zeros(RATE, dtype=np.int16), sine(1.0, 0.3)])
    processed = (echo * 10 ** (-30 / 20)).astype(np.int16)
    points = erle_over_time(echo, processed, RATE)
    assert [p.t for p in points] == [0.5, 1.0, 2.5, 3.0]  # the silent second is left out
    assert all(p.erle_db == pytest.approx(30.0, abs=0.2) for p in points)
    assert steady_erle(points, after_s=2.0) == pytest.approx(30.0, abs=0.2)


def test_time_to_reach_is_where_erle_stays_above_the_target() -> None:
    points = [ErlePoint(t, e) for t, e in [(0.5, 5), (1.0, 30), (1.5, 20), (2.0, 28), (2.5, 31)]]
    assert time_to_reach(points, 25.0) == 2.0
    assert time_to_reach(points, 40.0) is None
    assert worst_erle(points, after_s=1.6) == 28


def test_speech_level_is_averaged_over_active_windows_only() -> None:
    x = np.concatenate([sine(1.0, 0.1), np.zeros(RATE, dtype=np.int16)])
    mask = active_windows(x, RATE)
    assert mask.tolist() == [True, True, False, False]
    assert level_db(x, RATE, mask) == pytest.approx(20 * np.log10(0.1 / np.sqrt(2)), abs=0.05)
    with pytest.raises(ValueError, match="no window"):
        level_db(x, RATE, np.zeros(4, dtype=bool))


def test_a_clip_is_found_where_it_starts_in_a_louder_noisier_recording() -> None:
    rng = np.random.default_rng(3)
    clip = (rng.standard_normal(RATE) * 3000).astype(np.int16)
    recording = (rng.standard_normal(3 * RATE) * 2000).astype(np.int16)
    start = 37_123
    recording[start : start + clip.size] += clip // 2  # quieter, as a processed voice can be
    assert offset_of(clip, recording) == start
    part = aligned_to(clip, recording)
    assert part.size == clip.size
    assert np.array_equal(part[:100], recording[start : start + 100])
    tail = aligned_to(clip, recording[: start + RATE // 2])
    assert np.all(tail[RATE // 2 :] == 0)  # a clip cut short is padded, not wrapped

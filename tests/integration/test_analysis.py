"""The media analysis helpers on synthetic signals (no network, no codec)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.integration.analysis import (
    COUNTER_ROWS,
    content_region,
    decode_counter,
    dominant_frequency,
    make_frame,
    mean_color,
    rms_db,
)


@pytest.mark.parametrize("counter", [0, 1, 0x8000, 0xA5A5, 0xFFFF, 12345])
def test_counter_round_trips(counter: int) -> None:
    assert decode_counter(make_frame((10, 200, 30), counter, 320, 240)) == counter


def test_counter_wraps_at_16_bits() -> None:
    assert decode_counter(make_frame((0, 0, 0), 0x10003, 320, 240)) == 3


def test_counter_survives_noise_and_blur() -> None:
    frame = make_frame((255, 0, 0), 0xBEEF, 640, 480).astype(np.float64)
    blurred = (frame + np.roll(frame, 3, axis=1) + np.roll(frame, -3, axis=1)) / 3
    noisy = blurred + np.random.default_rng(1).normal(0, 25, frame.shape)
    assert decode_counter(np.clip(noisy, 0, 255).astype(np.uint8)) == 0xBEEF


def test_mean_color_of_content_region_ignores_counter_band() -> None:
    frame = make_frame((255, 0, 0), 0xFFFF, 320, 240)
    assert mean_color(frame, content_region(320, 240)) == (255.0, 0.0, 0.0)
    assert mean_color(frame) != (255.0, 0.0, 0.0)
    assert content_region(320, 240) == (0, 0, 320, 240 - COUNTER_ROWS)


def test_mean_color_region_is_x_y_width_height() -> None:
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[10:20, 50:60] = (30, 60, 90)
    assert mean_color(frame, (50, 10, 10, 10)) == (30.0, 60.0, 90.0)
    with pytest.raises(ValueError):
        mean_color(frame, (0, 0, 0, 0))


def test_small_frame_is_rejected() -> None:
    with pytest.raises(ValueError):
        make_frame((0, 0, 0), 1, 8, 8)


@pytest.mark.parametrize("freq", [97.0, 440.0, 1000.0, 3333.3])
def test_dominant_frequency_is_accurate_between_bins(freq: float) -> None:
    rate = 48_000
    t = np.arange(rate // 2) / rate  # 0.5 s: 2 Hz bins, so the fit must interpolate
    x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * np.random.default_rng(0).normal(size=t.size)
    assert dominant_frequency(x, rate) == pytest.approx(freq, rel=0.002)


def test_dominant_frequency_accepts_int16() -> None:
    t = np.arange(4800) / 48_000
    x = (10_000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    assert dominant_frequency(x, 48_000) == pytest.approx(440, rel=0.01)


def test_rms_db_levels() -> None:
    t = np.arange(48_000) / 48_000
    full_scale_sine = np.sin(2 * np.pi * 440 * t)
    assert rms_db(full_scale_sine) == pytest.approx(-3.01, abs=0.05)
    half_scale_int16 = (0.5 * 32767 * full_scale_sine).astype(np.int16)
    assert rms_db(half_scale_int16) == pytest.approx(-9.03, abs=0.05)
    assert rms_db(np.zeros(100)) == -120.0

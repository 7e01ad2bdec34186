"""JitterBuffer: start threshold, underrun → silence and re-buffer, bounded with drop-oldest."""

from __future__ import annotations

import numpy as np
import pytest

from lkdesk.media.jitter import JitterBuffer, JitterState


def ramp(start: int, count: int) -> np.ndarray:
    return np.arange(start, start + count, dtype=np.float32)


def test_plays_only_after_the_start_threshold_is_buffered() -> None:
    buffer = JitterBuffer(capacity=100, start_samples=30)
    out = np.empty(10, dtype=np.float32)
    buffer.write(ramp(0, 20))
    assert buffer.read_into(out) == 0 and not out.any()
    buffer.write(ramp(20, 10))
    assert buffer.read_into(out) == 10
    assert out.tolist() == list(range(10))
    assert buffer.state == JitterState.PLAYING


def test_underrun_plays_what_is_left_then_silence_and_buffers_again() -> None:
    buffer = JitterBuffer(capacity=100, start_samples=10)
    out = np.empty(8, dtype=np.float32)
    buffer.write(ramp(1, 12))
    assert buffer.read_into(out) == 8
    assert buffer.read_into(out) == 4
    assert out.tolist() == [9, 10, 11, 12, 0, 0, 0, 0]
    assert buffer.underruns == 1 and buffer.state == JitterState.BUFFERING
    buffer.write(ramp(100, 5))
    assert buffer.read_into(out) == 0  # 5 < 10: still buffering


def test_overflow_drops_the_oldest_down_to_the_start_level() -> None:
    buffer = JitterBuffer(capacity=16, start_samples=8)
    for start in range(0, 18, 6):
        buffer.write(ramp(start, 6))  # 18 > 16: keep 2 old + 6 new = the start level
    assert buffer.buffered == 8
    assert buffer.dropped_samples == 10
    out = np.empty(8, dtype=np.float32)
    assert buffer.read_into(out) == 8
    assert out.tolist() == list(range(10, 18))


def test_latency_stays_bounded_when_the_writer_is_faster_than_the_reader() -> None:
    buffer = JitterBuffer(capacity=100, start_samples=30)
    out = np.empty(10, dtype=np.float32)
    for i in range(1000):
        buffer.write(ramp(i * 11, 11))  # 10 % too fast
        buffer.read_into(out)
        assert buffer.buffered <= 100
    assert buffer.dropped_samples > 0 and buffer.underruns == 0


def test_a_write_larger_than_the_ring_keeps_its_newest_part() -> None:
    buffer = JitterBuffer(capacity=8, start_samples=2)
    buffer.write(ramp(0, 3))
    buffer.write(ramp(3, 20))
    out = np.empty(8, dtype=np.float32)
    assert buffer.read_into(out) == 8
    assert out.tolist() == list(range(15, 23))
    assert buffer.dropped_samples == 15


def test_wraps_around_the_ring_many_times_without_losing_order() -> None:
    buffer = JitterBuffer(capacity=7, start_samples=3)
    out = np.empty(3, dtype=np.float32)
    got: list[float] = []
    for start in range(0, 300, 3):
        buffer.write(ramp(start, 3))
        if buffer.read_into(out):
            got.extend(out.tolist())
    assert got == list(range(len(got)))
    assert len(got) >= 290


def test_rejects_a_threshold_above_the_capacity() -> None:
    with pytest.raises(ValueError):
        JitterBuffer(capacity=10, start_samples=11)

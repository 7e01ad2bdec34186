"""Frame-rate limiting and audio pacing of the push sources (no network)."""

from __future__ import annotations

import numpy as np
import pytest

from lkdesk.rtc import AudioFrame, AudioSource, VideoSource
from lkdesk.rtc.engine.media_tracks import SourceVideoTrack


def _kept(source_fps: float, limit_fps: float, jitter_ms: float, seconds: float = 10) -> int:
    track = SourceVideoTrack(VideoSource(16, 16), max_fps=limit_fps)
    rng = np.random.default_rng(7)
    stamps = np.arange(0, seconds, 1 / source_fps) * 1e6
    stamps += rng.uniform(-jitter_ms, jitter_ms, stamps.size) * 1000
    return sum(track._on_schedule(int(t)) for t in np.sort(stamps))


def test_jittery_camera_at_the_limit_loses_no_frames() -> None:
    assert _kept(30, 30, jitter_ms=8) == 300


@pytest.mark.parametrize(("limit", "expected"), [(10, 100), (15, 150)])
def test_faster_source_is_thinned_to_the_limit(limit: int, expected: int) -> None:
    assert abs(_kept(30, limit, jitter_ms=5) - expected) <= 2


def test_paused_source_restarts_the_schedule() -> None:
    track = SourceVideoTrack(VideoSource(16, 16), max_fps=10)
    assert track._on_schedule(0)
    assert not track._on_schedule(30_000)
    assert track._on_schedule(5_000_000)  # after a 5 s pause the next frame goes out
    assert not track._on_schedule(5_020_000)


async def test_audio_source_applies_back_pressure_and_pads_underruns() -> None:
    source = AudioSource(48_000, 1, queue_size_ms=20)
    await source.capture_frame(AudioFrame(np.ones((960, 1), np.int16), 48_000, 1))
    assert source.queued_duration == pytest.approx(0.02)
    out = source.read_samples(1920)
    assert out[:960].all() and not out[960:].any()
    with pytest.raises(ValueError, match="48000 Hz"):
        await source.capture_frame(AudioFrame(np.ones((441, 1), np.int16), 44_100, 1))

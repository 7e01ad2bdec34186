"""The microphone processing stage, driven frame by frame without devices.

The real library (pywebrtc-audio) does the work; the echo is simulated (delay, a decaying room
response, 10 dB loss), so ERLE can be measured exactly against the unprocessed echo.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from lkdesk.media import audio_processing
from lkdesk.media._processing_thread import ProcessingStage
from lkdesk.media.audio_processing import (
    AudioProcessing,
    ProcessingSettings,
    VoiceActivity,
    processing_problem,
)
from lkdesk.media.echo_reference import FRAME, RATE, TARGET_MS, EchoReference
from tests.integration.analysis import dominant_frequency
from tests.integration.echo_analysis import erle_over_time, steady_erle, time_to_reach
from tests.media.speech import FAR_TEXT, scaled_to, speak

Int16 = npt.NDArray[np.int16]
OFF = ProcessingSettings(False, False, False, False)


def room_echo(far: Int16, delay_ms: float) -> Int16:
    rng = np.random.default_rng(1)
    taps = int(0.05 * RATE)
    ir = rng.standard_normal(taps) * np.exp(-np.arange(taps) / (0.01 * RATE))
    ir[0] = 3.0
    ir /= np.sqrt(np.sum(ir**2))
    wet = np.convolve(far.astype(np.float64), ir)[: far.size] * 10 ** (-10 / 20)
    echo = np.concatenate([np.zeros(int(delay_ms * RATE / 1000)), wet])[: far.size]
    return np.clip(echo, -32768, 32767).astype(np.int16)


def run_stage(
    processing: AudioProcessing, mic: Int16, played: Int16 | None = None, rate: int = RATE
) -> Int16:
    """Drive a real ProcessingStage in lock step: play 10 ms, capture 10 ms, wait for it."""
    out: list[Int16] = []
    done = threading.Semaphore(0)

    def on_frame(frame: Int16) -> None:
        out.append(frame[:, 0].copy())
        done.release()

    stage = ProcessingStage(processing, on_frame, name="test-processing")
    stage.start()
    try:
        block = rate // 100
        for i in range(mic.shape[0] // block):
            if played is not None:
                far = played[i * FRAME : (i + 1) * FRAME].astype(np.float32) / 32768
                processing.reference.write(far)
            stage.submit(mic[i * block : (i + 1) * block], rate)
            assert done.acquire(timeout=5)
    finally:
        stage.stop()
    return np.concatenate(out)


@pytest.fixture(scope="module")
def far_speech() -> Int16:
    with tempfile.TemporaryDirectory() as tmp:
        return scaled_to(speak(FAR_TEXT, Path(tmp)), -20.0)[: 8 * RATE]


@pytest.mark.parametrize("delay_ms", [80, 250])
def test_echo_of_what_was_played_is_cancelled_by_25_db_within_2_s(
    far_speech: Int16, delay_ms: int
) -> None:
    echo = room_echo(far_speech, delay_ms)
    processed = run_stage(AudioProcessing(), echo, played=far_speech)
    erle = erle_over_time(echo, processed, RATE, active=echo)
    assert steady_erle(erle, after_s=2.0) >= 25.0, erle
    reached = time_to_reach(erle, 25.0)
    assert reached is not None and reached <= 2.5, erle  # window ending <= 2.5 s


def test_with_processing_off_the_echo_passes_unchanged(far_speech: Int16) -> None:
    echo = room_echo(far_speech, 80)[: 3 * RATE]
    processed = run_stage(AudioProcessing(OFF), echo, played=far_speech)
    assert np.array_equal(processed, echo[: processed.size])


def test_stereo_44k_capture_becomes_48k_mono_with_the_same_pitch() -> None:
    t = np.arange(44_100) / 44_100
    left = 0.3 * 32767 * np.sin(2 * np.pi * 1000 * t)
    stereo = np.stack([left, left], axis=1).astype(np.int16)
    processed = run_stage(AudioProcessing(OFF), stereo, rate=44_100)
    assert processed.size == pytest.approx(RATE, abs=FRAME)
    assert dominant_frequency(processed[FRAME:], RATE) == pytest.approx(1000, abs=3)


def test_missing_library_sends_audio_unprocessed_and_says_so(
    monkeypatch: pytest.MonkeyPatch, far_speech: Int16
) -> None:
    def missing() -> None:
        raise ImportError("No module named 'pywebrtc_audio'")

    monkeypatch.setattr(audio_processing, "_load_backend", missing)
    problem = processing_problem()
    assert problem is not None and "unprocessed" in problem and "pywebrtc-audio" in problem
    processing = AudioProcessing()
    mic = far_speech[: RATE // 2]
    processed = run_stage(processing, mic)
    assert np.array_equal(processed, mic[: processed.size])
    assert processing.failure is not None and "unprocessed" in processing.failure


def test_reference_keeps_order_resamples_and_stays_shallow() -> None:
    reference = EchoReference()
    ramp = (np.arange(3 * FRAME, dtype=np.float32) / (4 * FRAME)).astype(np.float32)
    for start in range(0, ramp.size, 333):  # blocks that are not 10 ms long
        reference.write(ramp[start : start + 333])
    got = np.concatenate([reference.read() for _ in range(3)])
    assert np.allclose(got / 32767, ramp, atol=1e-4)
    assert not reference.read().any()  # nothing played: silence
    assert reference.silent_frames == 1

    reference.write(np.full(44_100, 0.5, dtype=np.float32), rate=44_100)  # 1 s at 44.1 kHz
    reference.read()  # a backlog this deep is cut so the reference stays ahead of the echo
    assert reference.buffered_ms == TARGET_MS - 10
    assert reference.dropped_frames > 50


def test_voice_activity_needs_sustained_voice_not_a_click() -> None:
    vad = VoiceActivity(window=40, needed=16)
    assert not any(vad.update(-20.0, 0.9) for _ in range(10))  # 100 ms: not yet
    assert any(vad.update(-20.0, 0.9) for _ in range(10))
    after = [vad.update(-20.0, 0.1) for _ in range(40)]  # loud but not speech
    assert after[0] and not after[-1]  # a short hangover, then it ends
    assert not any(vad.update(-20.0, 0.1) for _ in range(40))
    assert not any(vad.update(-70.0, None) for _ in range(40))  # quiet, no processing
    assert any(vad.update(-30.0, None) for _ in range(40))  # level alone when processing off

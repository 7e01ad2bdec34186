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
    VoiceProcessor,
    processing_problem,
)
from lkdesk.media.echo_reference import FRAME, RATE, EchoReference, ReferenceClock
from tests.integration.analysis import dominant_frequency
from tests.integration.echo_analysis import (
    active_windows,
    erle_over_time,
    level_db,
    steady_erle,
    time_to_reach,
    window_db,
)
from tests.media.speech import FAR_TEXT, NEAR_TEXT, pink_noise, scaled_to, speak

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
    processing: AudioProcessing,
    mic: Int16,
    played: Int16 | None = None,
    rate: int = RATE,
    *,
    worker_late: bool = False,
) -> Int16:
    """Drive a real ProcessingStage: play 10 ms, capture 10 ms.

    In lock step (each frame processed before the next is played), or with ``worker_late``
    as a busy machine does it: the worker stalls through bursts of 30 captured blocks (300 ms)
    and then catches up.
    """
    out: list[Int16] = []
    done = threading.Semaphore(0)
    gate = threading.Event()
    gate.set()

    def on_frame(frame: Int16) -> None:
        out.append(frame[:, 0].copy())
        done.release()
        gate.wait(timeout=5)

    stage = ProcessingStage(processing, on_frame, name="test-processing")
    stage.start()
    try:
        block = rate // 100
        blocks = mic.shape[0] // block
        for i in range(blocks):
            if worker_late and i % 30 == 0:
                gate.clear()
            if played is not None:
                far = played[i * FRAME : (i + 1) * FRAME].astype(np.float32) / 32768
                processing.reference.write(far)
            stage.submit(mic[i * block : (i + 1) * block], rate)
            if not worker_late:
                assert done.acquire(timeout=5)
            elif i % 30 == 29:
                gate.set()
                while len(out) < i + 1:
                    assert done.acquire(timeout=5)
    finally:
        gate.set()
        stage.stop()
    return np.concatenate(out)


@pytest.fixture(scope="module")
def far_speech() -> Int16:
    with tempfile.TemporaryDirectory() as tmp:
        return scaled_to(speak(FAR_TEXT, Path(tmp)), -20.0)[: 8 * RATE]


@pytest.mark.parametrize(("delay_ms", "worker_late"), [(80, False), (250, False), (250, True)])
def test_echo_of_what_was_played_is_cancelled_by_25_db_within_2_s(
    far_speech: Int16, delay_ms: int, worker_late: bool
) -> None:
    """Also when the worker falls 300 ms behind again and again: the pairing is not its job."""
    echo = room_echo(far_speech, delay_ms)
    processed = run_stage(AudioProcessing(), echo, played=far_speech, worker_late=worker_late)
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


def test_reference_is_read_by_sample_number_at_any_rate_and_block_size() -> None:
    reference = EchoReference()
    ramp = (np.arange(3 * FRAME, dtype=np.float32) / (4 * FRAME)).astype(np.float32)
    for start in range(0, ramp.size, 333):  # blocks that are not 10 ms long
        reference.write(ramp[start : start + 333])
    assert reference.written == 3 * FRAME
    got = reference.read(100, 2 * FRAME)  # across frame boundaries
    assert np.allclose(got / 32767, ramp[100 : 100 + 2 * FRAME], atol=1e-4)
    assert not reference.read(3 * FRAME).any()  # not played (yet): silence
    assert not reference.read(-FRAME).any()

    reference.write(np.full(44_100, 0.5, dtype=np.float32), rate=44_100)  # 1 s at 44.1 kHz
    assert reference.written == 3 * FRAME + RATE
    assert np.all(reference.read(3 * FRAME + FRAME) == 16383)


def test_reference_forgets_what_is_older_than_its_history() -> None:
    reference = EchoReference()
    reference.write(np.full(6 * RATE, 0.25, dtype=np.float32))  # 6 s, more than it keeps
    assert not reference.read(0).any()
    assert reference.missing_frames == 1
    assert np.all(reference.read(6 * RATE - FRAME) == 8191)


def observe_steady(
    clock: ReferenceClock, seconds: float, captured: int, written: int, *, jitter: int = 0
) -> tuple[int, int]:
    """Both devices running in 10 ms blocks; the speaker's callbacks ``jitter`` blocks apart."""
    for i in range(int(seconds * 100)):
        captured += FRAME
        written += FRAME
        late = jitter and i % 7 == 3
        clock.observe(captured, written - (jitter * FRAME if late else 0))
    return captured, written


def test_clock_pairs_each_captured_sample_with_what_was_just_written() -> None:
    clock = ReferenceClock()
    clock.observe(FRAME, 0)  # nothing played yet
    assert clock.offset is None
    captured, written = observe_steady(clock, 1.0, FRAME, 5 * FRAME, jitter=2)
    assert clock.offset == 4 * FRAME - 2 * FRAME  # the low end of the lead, so it is written
    captured, written = observe_steady(clock, 5.0, captured, written, jitter=3)
    assert clock.offset == 2 * FRAME and clock.realigned == 0  # callbacks late: not moved


def test_clock_follows_a_speaker_underrun_but_not_a_stopped_speaker() -> None:
    clock = ReferenceClock()
    captured, written = observe_steady(clock, 2.0, 0, 10 * FRAME)
    assert clock.offset == 10 * FRAME
    for _ in range(200):  # the speaker stops for 2 s: reads past its end give silence
        captured += FRAME
        clock.observe(captured, written)
    assert clock.offset == 10 * FRAME
    observe_steady(clock, 2.5, captured, written)  # it resumed 2 s later: so is its sound
    assert clock.offset == 10 * FRAME - 2 * RATE
    assert clock.realigned == 1


def test_clock_moves_later_at_once_and_earlier_only_when_it_lasts_and_is_large() -> None:
    clock = ReferenceClock()
    captured, written = observe_steady(clock, 1.0, 0, 10 * FRAME)
    captured, written = observe_steady(clock, 0.6, captured, written + 8 * FRAME)
    assert clock.offset == 18 * FRAME  # a new speaker with a deeper buffer
    captured, written = observe_steady(clock, 0.5, captured, written - 20 * FRAME)
    assert clock.offset == 18 * FRAME  # one short dip is not enough
    captured, written = observe_steady(clock, 2.0, captured, written)
    assert clock.offset == -2 * FRAME
    observe_steady(clock, 2.0, captured, written - 10 * FRAME)
    assert clock.offset == -2 * FRAME  # 100 ms: AEC3 follows that itself


def test_noise_suppression_takes_15_db_off_stationary_noise_and_spares_speech() -> None:
    """pywebrtc-audio's AudioProcessor NS took only ~6 dB here; the chain must not use it."""
    noise = pink_noise(6.0, -45.0).astype(np.float64)
    with tempfile.TemporaryDirectory() as tmp:
        voice = scaled_to(speak(NEAR_TEXT, Path(tmp)), -26.0)[: 4 * RATE].astype(np.float64)
    mic = noise.copy()
    mic[2 * RATE : 2 * RATE + voice.size] += voice
    mic16 = np.clip(mic, -32768, 32767).astype(np.int16)
    processor = VoiceProcessor(ProcessingSettings(auto_gain_control=False))
    silent = np.zeros(FRAME, dtype=np.int16)
    out = np.concatenate(
        [processor.process(mic16[i : i + FRAME], silent) for i in range(0, mic16.size, FRAME)]
    )
    quiet = slice(2, 4)  # 1..2 s: converged, before the voice
    assert np.mean(window_db(mic16, RATE)[quiet]) - np.mean(window_db(out, RATE)[quiet]) >= 15
    speech = active_windows(mic16[2 * RATE :], RATE, 8.0)
    kept = level_db(out[2 * RATE :], RATE, speech) - level_db(mic16[2 * RATE :], RATE, speech)
    assert abs(kept) <= 3.0


def test_voice_activity_needs_sustained_voice_not_a_click() -> None:
    vad = VoiceActivity(window=40, needed=16)
    assert not any(vad.update(-20.0, 0.9) for _ in range(10))  # 100 ms: not yet
    assert any(vad.update(-20.0, 0.9) for _ in range(10))
    after = [vad.update(-20.0, 0.1) for _ in range(40)]  # loud but not speech
    assert after[0] and not after[-1]  # a short hangover, then it ends
    assert not any(vad.update(-20.0, 0.1) for _ in range(40))
    assert not any(vad.update(-70.0, None) for _ in range(40))  # quiet, no processing
    assert any(vad.update(-30.0, None) for _ in range(40))  # level alone when processing off

"""Which echo canceller? Candidates side by side on the same synthetic echo, offline.

A far-end voice (espeak-ng) goes through a simulated room: delayed by ``--delay-ms``, through a
decaying random impulse response, attenuated by 10 dB and, with ``--drift-ppm``, played by a
clock that runs fast. Each candidate gets the far-end voice as its reference and the echo (plus
a little noise) as its microphone, in 10 ms frames at 48 kHz, and we measure:

* ERLE (echo return loss enhancement) per 0.5 s window over far-end-active windows: the median
  after 2 s (steady state), and the time from which every window stays >= 25 dB;
* processing time per 10 ms frame (capture + reverse), CPU time of this process.

Run: ``python -m bench.aec_candidates [--delay-ms 80] [--drift-ppm 0]``. Candidates that are
not installed are reported as such. The official SDK's ``AudioProcessingModule`` is the anchor.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tests.integration.echo_analysis import erle_over_time, steady_erle, time_to_reach
from tests.media.speech import RATE, speak

FRAME = RATE // 100
Int16 = npt.NDArray[np.int16]
Processor = Callable[[Int16, Int16], Int16]
"""(near 10 ms, far 10 ms) -> processed near 10 ms."""


def simulated_room(far: Int16, delay_ms: float, drift_ppm: float, seed: int = 7) -> Int16:
    """The echo of ``far`` at the microphone (no near-end talker)."""
    rng = np.random.default_rng(seed)
    x = far.astype(np.float64)
    if drift_ppm:
        n = x.size
        pos = np.arange(n) * (1.0 + drift_ppm * 1e-6)
        x = np.interp(pos, np.arange(n), x, right=0.0)
    taps = int(0.06 * RATE)
    ir = rng.standard_normal(taps) * np.exp(-np.arange(taps) / (0.012 * RATE))
    ir[0] = 3.0
    ir /= np.sqrt(np.sum(ir**2))
    wet = np.convolve(x, ir)[: x.size] * 10 ** (-10 / 20)
    delay = int(delay_ms * RATE / 1000)
    echo = np.concatenate([np.zeros(delay), wet])[: x.size]
    echo += rng.standard_normal(x.size) * 32768 * 10 ** (-75 / 20)
    return np.clip(echo, -32768, 32767).astype(np.int16)


def pywebrtc_audio() -> Processor:
    from pywebrtc_audio import AudioProcessor

    ap = AudioProcessor(
        sample_rate=RATE,
        echo_cancellation=True,
        noise_suppression=True,
        high_pass_filter=True,
        auto_gain_control=False,
        ns_level=2,
    )
    return lambda near, far: ap.process(near, far)


def official_sdk() -> Processor:
    from livekit import rtc

    apm = rtc.AudioProcessingModule(
        echo_cancellation=True,
        noise_suppression=True,
        high_pass_filter=True,
        auto_gain_control=False,
    )

    def run(near: Int16, far: Int16) -> Int16:
        ref = rtc.AudioFrame(far.tobytes(), RATE, 1, FRAME)
        apm.process_reverse_stream(ref)
        frame = rtc.AudioFrame(near.tobytes(), RATE, 1, FRAME)
        apm.process_stream(frame)
        return np.frombuffer(frame.data, dtype=np.int16).copy()

    return run


def aec_audio_processing() -> Processor:
    from aec_audio_processing import AudioProcessor

    ap = AudioProcessor(enable_aec=True, enable_ns=True, enable_agc=False)
    ap.set_stream_format(RATE, 1)
    ap.set_reverse_stream_format(RATE, 1)

    def run(near: Int16, far: Int16) -> Int16:
        ap.process_reverse_stream(far.tobytes())
        return np.frombuffer(ap.process_stream(near.tobytes()), dtype=np.int16).copy()

    return run


CANDIDATES: dict[str, Callable[[], Processor]] = {
    "pywebrtc-audio 0.2.0 (WebRTC AEC3)": pywebrtc_audio,
    "official SDK AudioProcessingModule": official_sdk,
    "aec-audio-processing 1.0.1": aec_audio_processing,
}


def run_candidate(make: Callable[[], Processor], near: Int16, far: Int16) -> tuple[Int16, float]:
    process = make()
    out = np.zeros_like(near)
    frames = near.size // FRAME
    began = time.process_time()
    for i in range(frames):
        s = slice(i * FRAME, (i + 1) * FRAME)
        out[s] = process(near[s], far[s])
    per_frame_ms = (time.process_time() - began) * 1000 / frames
    return out, per_frame_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay-ms", type=float, default=80.0)
    parser.add_argument("--drift-ppm", type=float, default=0.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        text = (
            "The quick brown fox jumps over the lazy dog. A journey of a thousand miles "
            "begins with a single step. Peter Piper picked a peck of pickled peppers."
        )
        far = speak(text, Path(tmp))
    far = np.concatenate([far, far])  # ~20 s
    mic = simulated_room(far, args.delay_ms, args.drift_ppm)
    print(f"delay {args.delay_ms:.0f} ms, drift {args.drift_ppm:.0f} ppm, {far.size / RATE:.1f} s")
    print("| candidate | steady ERLE (median after 2 s) | >= 25 dB from | ms per 10 ms frame |")
    print("|---|---|---|---|")
    for name, make in CANDIDATES.items():
        try:
            out, cost = run_candidate(make, mic, far)
        except ImportError as exc:
            print(f"| {name} | not installed ({exc}) | | |")
            continue
        erle = erle_over_time(mic, out, RATE, active=far)
        reach = time_to_reach(erle, 25.0)
        reach_s = f"{reach:.1f} s" if reach is not None else "never"
        print(f"| {name} | {steady_erle(erle, after_s=2.0):.1f} dB | {reach_s} | {cost:.3f} |")


if __name__ == "__main__":
    main()

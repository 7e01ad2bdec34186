"""Microphone processing cost and added latency: lkdesk's chain next to the official SDK.

Same input for both in the same run: 20 s of espeak speech (near end) plus its echo through a
simulated room (80 ms, 10 dB loss) with the far-end voice as reference, 10 ms frames at 48 kHz,
everything on (AEC, NS, AGC, HPF). Cost = CPU time of this process per frame; % of one core =
cost / 10 ms. Added latency = the lag of the output behind the input (cross-correlation of a
near-end-only run with echo cancellation off) plus the stage's framing (none: 10 ms in, 10 ms
out, no look-ahead).

Run: ``python -m bench.audio_processing_cost``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from livekit import rtc

from bench.aec_candidates import simulated_room
from lkdesk.media.audio_processing import ProcessingSettings, VoiceProcessor
from tests.media.speech import FAR_TEXT, NEAR_TEXT, RATE, scaled_to, speak

FRAME = RATE // 100


def sdk_chain() -> object:
    apm = rtc.AudioProcessingModule(
        echo_cancellation=True,
        noise_suppression=True,
        high_pass_filter=True,
        auto_gain_control=True,
    )

    def run(near: np.ndarray, far: np.ndarray) -> np.ndarray:
        apm.process_reverse_stream(rtc.AudioFrame(far.tobytes(), RATE, 1, FRAME))
        frame = rtc.AudioFrame(near.tobytes(), RATE, 1, FRAME)
        apm.process_stream(frame)
        return np.frombuffer(frame.data, dtype=np.int16)

    return run


def lkdesk_chain(settings: ProcessingSettings) -> object:
    processor = VoiceProcessor(settings)
    return processor.process


def cost(process: object, near: np.ndarray, far: np.ndarray) -> tuple[float, np.ndarray]:
    frames = near.size // FRAME
    out = np.zeros(frames * FRAME, dtype=np.int16)
    began = time.process_time()
    for i in range(frames):
        s = slice(i * FRAME, (i + 1) * FRAME)
        out[s] = process(near[s], far[s])  # type: ignore[operator]
    return (time.process_time() - began) * 1000 / frames, out


def lag_ms(x: np.ndarray, y: np.ndarray) -> float:
    n = min(x.size, y.size, 4 * RATE)
    a, b = x[:n].astype(np.float64), y[:n].astype(np.float64)
    corr = np.fft.irfft(np.fft.rfft(b, 2 * n) * np.conj(np.fft.rfft(a, 2 * n)))
    lag = int(np.argmax(corr[: RATE // 5]))  # 0..200 ms
    return lag * 1000 / RATE


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        far = scaled_to(speak(FAR_TEXT, Path(tmp)), -20.0)
        near = scaled_to(speak(NEAR_TEXT, Path(tmp), pitch=30), -22.0)
    n = min(far.size, near.size)
    far, near = far[:n], near[:n]
    mic = np.clip(simulated_room(far, 80, 0).astype(np.int32) + near, -32768, 32767)
    mic = mic.astype(np.int16)
    rows = []
    for name, make in (
        (
            "lkdesk (pywebrtc-audio HPF+AEC3, NS, AGC2)",
            lambda: lkdesk_chain(ProcessingSettings()),
        ),
        ("official SDK AudioProcessingModule", sdk_chain),
    ):
        per_frame, _ = cost(make(), mic, far)
        silent = np.zeros_like(far)
        no_aec = (
            lkdesk_chain(ProcessingSettings(echo_cancellation=False))
            if name.startswith("lkdesk")
            else make()
        )
        _, out = cost(no_aec, near, silent)
        rows.append((name, per_frame, lag_ms(near, out)))
    print(f"{n / RATE:.1f} s of audio, 10 ms frames at 48 kHz")
    print("| chain | ms per 10 ms frame | % of one core | added latency |")
    print("|---|---|---|---|")
    for name, per_frame, lag in rows:
        print(f"| {name} | {per_frame:.3f} | {per_frame * 10:.1f} % | {lag:.1f} ms |")
    ratio = rows[0][1] / rows[1][1]
    print(f"| ratio lkdesk/SDK | {ratio:.2f}x | | |")


if __name__ == "__main__":
    main()

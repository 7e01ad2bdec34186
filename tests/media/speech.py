"""Test speech and noise: espeak-ng voices resampled by sox to 48 kHz, pink noise from numpy."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

RATE = 48_000
Int16 = npt.NDArray[np.int16]

FAR_TEXT = (
    "The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins "
    "with a single step. Peter Piper picked a peck of pickled peppers, while the rain in "
    "Spain stays mainly in the plain."
)
NEAR_TEXT = (
    "Hello, can you hear me now? I am speaking from the other end of the line, and I would "
    "like to know whether my voice gets through clearly."
)


def speak(
    text: str, directory: Path, *, voice: str = "en-us", pitch: int = 50, speed: int = 165
) -> Int16:
    """``text`` spoken by espeak-ng, as 48 kHz mono int16 (sox resamples it)."""
    raw, wav = directory / "espeak.wav", directory / "speech48.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", str(raw), text],
        check=True,
        capture_output=True,
        timeout=30,
    )
    subprocess.run(
        ["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(wav)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    with wave.open(str(wav), "rb") as reader:
        assert reader.getframerate() == RATE and reader.getnchannels() == 1
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype=np.int16).copy()
    raw.unlink()
    wav.unlink()
    return samples


def scaled_to(samples: Int16, rms_dbfs: float) -> Int16:
    """``samples`` scaled so that their speech-active RMS is ``rms_dbfs``."""
    x = samples.astype(np.float64) / 32768
    active = np.abs(x) > 10 ** (-50 / 20)
    rms = float(np.sqrt(np.mean(x[active] ** 2))) if active.any() else 1.0
    y = x * (10 ** (rms_dbfs / 20) / rms)
    return np.clip(y * 32768, -32768, 32767).astype(np.int16)


def pink_noise(seconds: float, rms_dbfs: float, seed: int = 3) -> Int16:
    """Stationary pink (1/f power) noise at ``rms_dbfs``, above 50 Hz."""
    n = int(seconds * RATE)
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    shape = np.zeros_like(freqs)
    shape[freqs >= 50] = 1 / np.sqrt(freqs[freqs >= 50])
    x = np.fft.irfft(spectrum * shape, n)
    x *= 10 ** (rms_dbfs / 20) / float(np.sqrt(np.mean(x**2)))
    return np.clip(x * 32768, -32768, 32767).astype(np.int16)


def write_wav(samples: Int16, path: Path) -> Path:
    """A 48 kHz mono 16-bit WAV of ``samples`` (for paplay)."""
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes(samples.tobytes())
    return path

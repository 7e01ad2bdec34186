"""Signal analysis for media tests: solid-colour frames with a counter, tones, levels.

A test frame is a solid colour with a 16-bit frame counter drawn as 16 black/white blocks
along the bottom ``COUNTER_ROWS`` pixel rows (block 0 = most significant bit). The blocks are
large enough to survive VP8 compression; :func:`decode_counter` reads them back from block
means with a threshold.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

COUNTER_BITS = 16
COUNTER_ROWS = 24

Region = tuple[int, int, int, int]
"""(x, y, width, height) in pixels."""

FrameRGB = npt.NDArray[np.uint8]
"""An (height, width, 3) RGB frame."""


def make_frame(color: tuple[int, int, int], counter: int, width: int, height: int) -> FrameRGB:
    """A frame of ``color`` with ``counter`` (mod 2**16) encoded along the bottom rows."""
    if width < COUNTER_BITS or height <= COUNTER_ROWS:
        raise ValueError(f"frame {width}x{height} too small for the counter")
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[:] = np.asarray(color, dtype=np.uint8)
    band = frame[height - COUNTER_ROWS :]
    block = width // COUNTER_BITS
    value = counter % (1 << COUNTER_BITS)
    for i in range(COUNTER_BITS):
        bit = (value >> (COUNTER_BITS - 1 - i)) & 1
        band[:, i * block : (i + 1) * block] = 255 if bit else 0
    band[:, COUNTER_BITS * block :] = 0
    return frame


def content_region(width: int, height: int) -> Region:
    """The area above the counter band, i.e. the solid colour."""
    return (0, 0, width, height - COUNTER_ROWS)


def mean_color(frame_rgb: FrameRGB, region: Region | None = None) -> tuple[float, float, float]:
    """Mean (r, g, b) over ``region`` (the whole frame when None)."""
    if region is not None:
        x, y, w, h = region
        frame_rgb = frame_rgb[y : y + h, x : x + w]
    if frame_rgb.size == 0:
        raise ValueError("empty region")
    r, g, b = frame_rgb.reshape(-1, frame_rgb.shape[-1])[:, :3].mean(axis=0)
    return float(r), float(g), float(b)


def decode_counter(frame_rgb: FrameRGB, threshold: float = 128.0) -> int:
    """Inverse of :func:`make_frame`'s counter, robust to blur at the block edges."""
    height, width = frame_rgb.shape[:2]
    block = width // COUNTER_BITS
    if block < 1 or height <= COUNTER_ROWS:
        raise ValueError(f"frame {width}x{height} too small for the counter")
    # The middle of each block, away from the colour edge and the neighbouring blocks.
    rows = frame_rgb[height - COUNTER_ROWS + 4 : height - 4, :, :3].astype(np.float32)
    margin = block // 4
    value = 0
    for i in range(COUNTER_BITS):
        cell = rows[:, i * block + margin : (i + 1) * block - margin]
        value = (value << 1) | int(float(cell.mean()) >= threshold)
    return value


def dominant_frequency(samples: npt.ArrayLike, rate: int) -> float:
    """Frequency (Hz) of the strongest spectral peak: Hann window, FFT, parabolic fit."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size < 4:
        raise ValueError("need at least 4 samples")
    x = x - x.mean()
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    k = int(np.argmax(spectrum[1:])) + 1
    offset = 0.0
    if 1 <= k < spectrum.size - 1:
        a, b, c = (float(v) for v in np.log(spectrum[k - 1 : k + 2] + 1e-12))
        denom = a - 2 * b + c
        if denom != 0:
            offset = 0.5 * (a - c) / denom
    return float((k + offset) * rate / x.size)


def rms_db(samples: npt.ArrayLike) -> float:
    """RMS level in dBFS; int16 input is scaled by 1/32768; silence gives -120 dB."""
    arr = np.asarray(samples)
    x = arr.astype(np.float64).ravel()
    if arr.dtype == np.int16:
        x /= 32768.0
    if x.size == 0:
        raise ValueError("no samples")
    rms = float(np.sqrt(np.mean(x * x)))
    return max(20.0 * float(np.log10(rms)) if rms > 0 else -120.0, -120.0)

"""Synthetic producers for lkdesk's own sources (test colour bars and tones)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator

import cv2
import numpy as np

from lkdesk import rtc
from tests.integration.analysis import make_frame


async def produce_video(
    source: rtc.VideoSource, color: tuple[int, int, int], fps: float = 30.0
) -> None:
    """Push frames of ``color`` with a counter band, paced at ``fps``, until cancelled."""
    start = time.monotonic()
    n = 0
    while True:
        data = make_frame(color, n, source.width, source.height)
        source.capture_frame(
            rtc.VideoFrame(source.width, source.height, rtc.VideoFormat.RGB24, data)
        )
        n += 1
        await asyncio.sleep(max(0.0, start + n / fps - time.monotonic()))


def texture(width: int, height: int, color: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """A camera-like picture twice as wide as the frame: soft blobs and a little grain
    around ``color`` (mean within a few levels of it), so VP8 needs real bits to send it."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 16 + 1, width // 8 + 1, 3), dtype=np.uint8)
    blobs = cv2.resize(small, (2 * width, height), interpolation=cv2.INTER_CUBIC)
    grain = rng.integers(-6, 7, (height, 2 * width, 3))
    base = np.asarray(color, dtype=np.int32) + (blobs.astype(np.int32) - 128) // 3 + grain
    return np.clip(base, 0, 255).astype(np.uint8)


async def produce_textured_video(
    source: rtc.VideoSource, color: tuple[int, int, int], fps: float = 30.0
) -> None:
    """A picture of about ``color`` scrolling 6 pixels a frame, paced at ``fps``, until
    cancelled. Frames are views into one wide texture (no copy on the event loop)."""
    width, height = source.width, source.height
    wide = texture(width, height, color)
    start = time.monotonic()
    n = 0
    while True:
        offset = (n * 6) % width
        data = wide[:, offset : offset + width]
        source.capture_frame(rtc.VideoFrame(width, height, rtc.VideoFormat.RGB24, data))
        n += 1
        await asyncio.sleep(max(0.0, start + n / fps - time.monotonic()))


async def produce_tone(source: rtc.AudioSource, freq_hz: float, amplitude: float = 0.3) -> None:
    """Push a continuous sine in 10 ms frames; the source's back-pressure paces it."""
    rate = source.sample_rate
    n = rate // 100
    step = 2 * math.pi * freq_hz / rate
    produced = 0
    while True:
        pcm = (amplitude * 32767 * np.sin(step * (produced + np.arange(n)))).astype(np.int16)
        await source.capture_frame(rtc.AudioFrame(pcm[:, None], rate, 1))
        produced += n


@contextlib.asynccontextmanager
async def running(coro: object) -> AsyncIterator[asyncio.Task[None]]:
    """Run a producer for the duration of the block, then cancel and await it."""
    task: asyncio.Task[None] = asyncio.create_task(coro)  # type: ignore[arg-type]
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

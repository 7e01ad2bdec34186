"""Synthetic producers for lkdesk's own sources (test colour bars and tones)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator

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

"""Computer audio from PulseAudio's monitor: a tone played to the speakers comes back."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from lkdesk.media import SystemAudioCapture
from lkdesk.media.system_audio import monitor_source
from tests.media.audio_tools import peak_above_floor_db, sine_into

pytestmark = pytest.mark.usefixtures("sandbox_audio")


async def test_the_default_outputs_monitor_is_found() -> None:
    assert await monitor_source() == "lk_sink.monitor"


async def test_a_tone_played_to_the_speakers_is_captured_as_computer_audio() -> None:
    capture = SystemAudioCapture()
    with sine_into("lk_sink", 880):
        await capture.start()
        try:
            frames = []
            async with asyncio.timeout(10):
                async for frame in capture:
                    frames.append(frame)
                    if len(frames) == 100:  # one second
                        break
        finally:
            await capture.aclose()
    assert {(f.sample_rate, f.num_channels, f.samples_per_channel) for f in frames} == {
        (48_000, 2, 480)
    }
    left = np.concatenate([f.data[:, 0] for f in frames[20:]])
    assert peak_above_floor_db(left, 880) > 30

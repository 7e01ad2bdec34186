"""AudioPlayback mixing real inputs into the sandbox's default sink, checked with parec."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import numpy as np
import numpy.typing as npt
import pytest

from lkdesk.media.errors import DeviceNotFoundError
from lkdesk.media.playback import AudioPlayback, PlaybackInput
from lkdesk.media.states import MediaState
from tests.integration.analysis import rms_db
from tests.media.audio_tools import band_db, peak_above_floor_db, recording, tone

pytestmark = pytest.mark.usefixtures("sandbox_audio")

FRAME = 480  # 10 ms


@contextlib.asynccontextmanager
async def feeding(inputs: dict[PlaybackInput, float]) -> AsyncIterator[None]:
    """Push a phase-continuous tone into each input in real time (10 ms frames)."""

    async def feed() -> None:
        sent = 0
        started = time.monotonic()
        while True:
            for playback_input, freq in inputs.items():
                playback_input.push(tone(freq, sent, FRAME))
            sent += FRAME
            await asyncio.sleep(max(started + sent / 48000 - time.monotonic(), 0.0))

    task = asyncio.create_task(feed())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.wait([task])


async def fresh_recording(seconds: float = 1.5) -> npt.NDArray[np.int16]:
    """``seconds`` recorded from the sink's monitor by a new parec, after a settling pause.

    A new recorder per measurement: a running one may still hold audio from before a change.
    """
    await asyncio.sleep(0.4)  # jitter buffer + device latency
    async with recording("lk_sink.monitor") as recorder:
        await recorder.record(0.3)
        return await recorder.record(seconds)


async def test_two_inputs_are_mixed_muted_and_scaled_into_the_sink() -> None:
    states: list[MediaState] = []
    playback = AudioPlayback()
    playback.on("state_changed", states.append)
    await playback.start()
    try:
        assert states[-1] == MediaState.RUNNING
        a, b = playback.add_input("a"), playback.add_input("b")
        assert playback.add_input("a") is a
        async with feeding({a: 440.0, b: 660.0}):
            await asyncio.sleep(0.6)  # stream and jitter buffer start-up
            both = await fresh_recording()
            assert peak_above_floor_db(both, 440) > 40
            assert peak_above_floor_db(both, 660) > 40
            assert band_db(both, 440) == pytest.approx(band_db(both, 660), abs=3)
            assert playback.level.rms_dbfs > -30
            assert a.level.rms_dbfs == pytest.approx(rms_db(tone(440, 0, 4800).data), abs=1)
            assert a.buffered_ms <= 200  # bounded by max_buffer_ms whatever the device does

            b.muted = True
            only_a = await fresh_recording()
            assert peak_above_floor_db(only_a, 440) > 40
            assert band_db(only_a, 660) < band_db(only_a, 440) - 60

            a.volume = 0.5
            half = await fresh_recording()
            assert rms_db(only_a) - rms_db(half) == pytest.approx(6.02, abs=1.0)

            playback.master_volume = 0.0
            assert rms_db(await fresh_recording(0.5)) < -90
        assert a.underruns <= 2  # start-up at most: a steady feed does not starve
    finally:
        await playback.aclose()
    assert states == [MediaState.STARTING, MediaState.RUNNING, MediaState.CLOSED]
    assert a.closed and playback.inputs == ()


async def test_volume_outside_0_to_2_is_refused() -> None:
    playback = AudioPlayback()
    playback_input = playback.add_input("x")
    for bad in (-0.1, 2.01, float("nan")):
        with pytest.raises(ValueError):
            playback_input.volume = bad
        with pytest.raises(ValueError):
            playback.master_volume = bad
    playback_input.volume = 2.0
    await playback.aclose()


async def test_output_device_can_be_switched_and_a_bad_choice_keeps_the_old_one() -> None:
    changed: list[object] = []
    fallbacks: list[str] = []
    playback = AudioPlayback(device="missing speaker")
    playback.on("device_changed", changed.append)
    playback.on("device_fallback", fallbacks.append)
    await playback.start()
    try:
        assert playback.device is not None and playback.device.is_default
        assert fallbacks and "'missing speaker' was not found" in fallbacks[0]
        await playback.set_device("pulse")
        assert playback.device is not None and playback.device.name == "pulse"
        assert changed == [playback.device]
        with pytest.raises(DeviceNotFoundError, match="'nope' was not found"):
            await playback.set_device("nope")
        assert playback.state == MediaState.RUNNING
        assert playback.device is not None and playback.device.name == "pulse"
        playback_input = playback.add_input("t")
        async with feeding({playback_input: 1000.0}):
            assert peak_above_floor_db(await fresh_recording(1.0), 1000) > 40
    finally:
        await playback.aclose()

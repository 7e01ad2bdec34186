"""MicrophoneCapture against the sandbox's real PulseAudio (lk_sink → lk_mic)."""

from __future__ import annotations

import asyncio

import numpy as np
import numpy.typing as npt
import pytest

from lkdesk.core.frames import AudioFrame
from lkdesk.media.errors import DeviceNotFoundError
from lkdesk.media.microphone import MicrophoneCapture
from lkdesk.media.states import MediaState
from tests.integration.analysis import dominant_frequency, rms_db
from tests.media.audio_tools import sine_into

pytestmark = pytest.mark.usefixtures("sandbox_audio")


async def take(mic: MicrophoneCapture, seconds: float, limit_s: float = 15.0) -> list[AudioFrame]:
    """Frames covering ``seconds`` of audio."""
    frames: list[AudioFrame] = []
    wanted = int(seconds * mic.sample_rate)
    async with asyncio.timeout(limit_s):
        async for frame in mic:
            frames.append(frame)
            if sum(f.samples_per_channel for f in frames) >= wanted:
                break
    return frames


def mono(frames: list[AudioFrame]) -> npt.NDArray[np.int16]:
    return np.concatenate([f.data[:, 0] for f in frames])


async def test_microphone_captures_tones_played_into_the_sink() -> None:
    states: list[MediaState] = []
    mic = MicrophoneCapture(sample_rate=48000, channels=1, frame_ms=10)
    mic.on("state_changed", states.append)
    await mic.start()
    try:
        assert mic.state == MediaState.RUNNING
        assert mic.device is not None and mic.fallback_reason is None
        silence = mono(await take(mic, 0.3))
        silent_db = rms_db(silence)
        silent_level = mic.level.rms_dbfs
        for freq in (1000, 700):
            with sine_into("lk_sink", freq):
                await take(mic, 0.4)  # let the tone reach the monitor, flush older audio
                frames = await take(mic, 1.0)
                level = mic.level
            for frame in frames:
                assert frame.data.shape == (480, 1)
                assert frame.data.dtype == np.int16
                assert (frame.sample_rate, frame.num_channels) == (48000, 1)
            measured = dominant_frequency(mono(frames), 48000)
            assert measured == pytest.approx(freq, rel=0.02)
            assert rms_db(mono(frames)) > silent_db + 30
            assert level.rms_dbfs > silent_level + 30
            assert 0.0 < level.normalized <= 1.0
    finally:
        await mic.aclose()
    assert states == [MediaState.STARTING, MediaState.RUNNING, MediaState.CLOSED]
    assert mic.level.rms_dbfs == -120.0


async def test_microphone_frames_follow_the_requested_format() -> None:
    async with MicrophoneCapture(channels=2, frame_ms=20) as mic:
        frames = await take(mic, 0.2)
    assert all(f.data.shape == (960, 2) for f in frames)
    assert all(f.num_channels == 2 and f.sample_rate == 48000 for f in frames)
    assert mic.state == MediaState.CLOSED
    with pytest.raises(StopAsyncIteration):
        await mic.__anext__()


async def test_missing_microphone_falls_back_to_the_default_and_says_so() -> None:
    reasons: list[str] = []
    mic = MicrophoneCapture(device="no such microphone")
    mic.on("device_fallback", reasons.append)
    await mic.start()
    try:
        assert mic.device is not None and mic.device.is_default
        assert mic.fallback_reason is not None
        assert "'no such microphone' was not found" in mic.fallback_reason
        assert mic.device.name in mic.fallback_reason
        assert reasons == [mic.fallback_reason]
        assert len(await take(mic, 0.05)) >= 5
    finally:
        await mic.aclose()


async def test_missing_microphone_without_fallback_is_a_clear_error() -> None:
    mic = MicrophoneCapture(device=99, fallback_to_default=False)
    with pytest.raises(DeviceNotFoundError, match=r"microphone 99 was not found\. Available: "):
        await mic.start()
    assert mic.state == MediaState.FAILED
    assert isinstance(mic.error, DeviceNotFoundError)
    await mic.aclose()


async def test_slow_consumer_loses_oldest_frames_not_memory() -> None:
    async with MicrophoneCapture(frame_ms=10) as mic:
        await take(mic, 0.05)
        await asyncio.sleep(0.6)  # nobody reads: 60 frames arrive, the hand-off keeps 20
        assert mic.dropped_frames >= 20
        kept = 0
        while mic._handoff is not None and mic._handoff.get_nowait() is not None:
            kept += 1
        assert kept <= 20

"""Audio devices that fail: the audio server dies mid-call, or is not there at all.

Each test runs its own PulseAudio (own socket and runtime dir) and points PULSE_SERVER at it,
so killing it never disturbs the sandbox daemon other tests use.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Iterator

import pytest

from lkdesk.media.errors import DeviceError, DeviceFailedError
from lkdesk.media.microphone import MicrophoneCapture
from lkdesk.media.playback import AudioPlayback
from lkdesk.media.states import MediaState
from tests.media.audio_tools import PrivatePulse, tone

pytestmark = pytest.mark.usefixtures("sandbox_audio")


@pytest.fixture
def private_pulse(monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivatePulse]:
    pulse = PrivatePulse()
    monkeypatch.setenv("PULSE_SERVER", pulse.server)
    try:
        yield pulse
    finally:
        pulse.remove()


class ErrorLog:
    """Collects "error" events; ``wait(n)`` returns once ``n`` arrived."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, DeviceError]] = []
        self._changed = asyncio.Event()

    def handler(self, who: str) -> Callable[[DeviceError], None]:
        def record(error: DeviceError) -> None:
            self.errors.append((who, error))
            self._changed.set()

        return record

    async def wait(self, count: int, limit_s: float) -> float:
        """Seconds until ``count`` errors were reported (TimeoutError after ``limit_s``)."""
        started = time.monotonic()
        async with asyncio.timeout(limit_s):
            while len(self.errors) < count:
                self._changed.clear()
                await self._changed.wait()
        return time.monotonic() - started


@pytest.mark.parametrize("how", ["exit", "kill"])
async def test_audio_server_death_is_reported_and_nothing_hangs(
    private_pulse: PrivatePulse, how: str
) -> None:
    log = ErrorLog()
    mic = MicrophoneCapture()
    playback = AudioPlayback()
    mic.on("error", log.handler("mic"))
    playback.on("error", log.handler("playback"))
    await mic.start()
    await playback.start()
    try:
        async with asyncio.timeout(10):
            await mic.__anext__()  # the stream really runs against the private server
        speaker = playback.add_input("remote")
        speaker.push(tone(440, 0, 4800))

        private_pulse.stop(how)  # `pactl exit`, or SIGKILL as in a crash
        took = await log.wait(2, limit_s=8)
        assert took < 6
        assert {who for who, _ in log.errors} == {"mic", "playback"}
        for who, error in log.errors:
            assert isinstance(error, DeviceFailedError)
            label = "microphone" if who == "mic" else "speaker"
            assert f"The {label} 'default' stopped" in str(error)
            assert "audio system" in str(error)
        assert mic.state == MediaState.FAILED and playback.state == MediaState.FAILED

        async with asyncio.timeout(2):  # the consumer's loop ends with the error
            with pytest.raises(DeviceFailedError):
                async for _ in mic:
                    pass
        speaker.push(tone(440, 0, 480))  # the call goes on: pushing stays harmless
    finally:
        started = time.monotonic()
        await mic.aclose()
        await playback.aclose()
        assert time.monotonic() - started < 2


async def test_no_audio_server_is_a_clear_error_on_start(private_pulse: PrivatePulse) -> None:
    private_pulse.stop("exit")
    mic = MicrophoneCapture()
    started = time.monotonic()
    with pytest.raises(DeviceError, match="The microphone 'default' could not be opened") as err:
        await mic.start()
    assert time.monotonic() - started < 5
    assert "audio system (PulseAudio, PipeWire, ALSA) is running" in str(err.value)
    assert mic.state == MediaState.FAILED
    await mic.aclose()

    playback = AudioPlayback()
    with pytest.raises(DeviceError, match="The speaker 'default' could not be opened"):
        await playback.start()
    playback.add_input("x").push(tone(440, 0, 480))
    await playback.aclose()


async def test_frozen_audio_server_is_noticed_by_the_watchdog(private_pulse: PrivatePulse) -> None:
    log = ErrorLog()
    mic = MicrophoneCapture(stall_timeout_s=1.5)
    mic.on("error", log.handler("mic"))
    await mic.start()
    try:
        async with asyncio.timeout(10):
            await mic.__anext__()
        private_pulse.proc.send_signal(signal.SIGSTOP)  # alive but silent
        try:
            await log.wait(1, limit_s=6)
        finally:
            private_pulse.proc.send_signal(signal.SIGCONT)
        _, error = log.errors[0]
        assert isinstance(error, DeviceFailedError)
        assert "The microphone 'default' stopped responding (no audio for" in str(error)
        assert mic.state == MediaState.FAILED
    finally:
        await mic.aclose()

""" "Share computer audio": what the speakers play, from PulseAudio's monitor source.

On Linux (PulseAudio, or PipeWire's Pulse server) every sink has a ``.monitor`` source
carrying what it plays. ``parec`` records it; no thread is needed: its output is read on
the event loop from a pipe. Frames are 10 ms of 48 kHz stereo, as LiveKit expects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sys
from collections.abc import AsyncIterator

import numpy as np

from lkdesk.core.frames import AudioFrame
from lkdesk.media.errors import BackendMissingError, DeviceFailedError

logger = logging.getLogger(__name__)

RATE = 48_000
CHANNELS = 2
FRAME_SAMPLES = RATE // 100  # 10 ms
_FRAME_BYTES = FRAME_SAMPLES * CHANNELS * 2
TOOL_TIMEOUT_S = 5.0


def system_audio_problem() -> str | None:
    """Why computer audio cannot be shared here (None when it can)."""
    if not sys.platform.startswith("linux"):
        return "Sharing computer audio is available on Linux (PulseAudio or PipeWire) only."
    if shutil.which("parec") is None or shutil.which("pactl") is None:
        return (
            "Sharing computer audio needs PulseAudio's tools parec and pactl (Debian and "
            "Ubuntu: sudo apt install pulseaudio-utils)."
        )
    return None


async def monitor_source() -> str:
    """The monitor source of the default output (e.g. ``alsa_output.pci.analog.monitor``)."""
    problem = system_audio_problem()
    if problem:
        raise BackendMissingError(problem)
    proc = await asyncio.create_subprocess_exec(
        "pactl",
        "get-default-sink",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(TOOL_TIMEOUT_S):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise BackendMissingError(
            "The sound server did not answer; is PulseAudio running?"
        ) from None
    sink = out.decode().strip()
    if proc.returncode != 0 or not sink:
        raise BackendMissingError(
            f"No sound server to share audio from ({err.decode().strip() or 'no default output'})."
        )
    return f"{sink}.monitor"


class SystemAudioCapture:
    """Async iterator of :class:`AudioFrame` recorded from the default output's monitor."""

    def __init__(self, source: str | None = None) -> None:
        self.source = source
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.source = self.source or await monitor_source()
        self._proc = await asyncio.create_subprocess_exec(
            "parec",
            f"--device={self.source}",
            "--format=s16le",
            f"--rate={RATE}",
            f"--channels={CHANNELS}",
            "--latency-msec=20",
            "--raw",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        logger.info("sharing computer audio from %s", self.source)

    def __aiter__(self) -> AsyncIterator[AudioFrame]:
        return self._frames()

    async def _frames(self) -> AsyncIterator[AudioFrame]:
        proc = self._proc
        if proc is None or proc.stdout is None:
            raise RuntimeError("start() the capture first")
        while True:
            try:
                chunk = await proc.stdout.readexactly(_FRAME_BYTES)
            except asyncio.IncompleteReadError:
                if self._proc is None:
                    return  # closed on purpose
                raise DeviceFailedError(
                    "Sharing computer audio stopped: the sound server closed the recording."
                ) from None
            data = np.frombuffer(chunk, dtype=np.int16).reshape(FRAME_SAMPLES, CHANNELS).copy()
            yield AudioFrame(data, RATE, CHANNELS)

    async def aclose(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            async with asyncio.timeout(TOOL_TIMEOUT_S):
                await proc.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

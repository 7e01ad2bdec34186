"""Microphone capture with sounddevice: 16-bit PCM frames as an async iterator.

PortAudio calls :meth:`MicrophoneCapture._callback` on its own thread every ``frame_ms``; the
callback copies the buffer, updates the level and hands the copy to the loop through a
bounded :class:`ThreadHandoff` (oldest frames dropped when the consumer falls behind).
With ``processing`` the copy goes first to a :class:`ProcessingStage` worker (echo
cancellation against the playback mix, noise suppression, gain control), which converts
whatever the device gives to 48 kHz mono; if the device refuses that format it is opened in
its own rate and channel count and converted.

Events (``mic.on(name, handler)``):
    ``"state_changed"`` (MediaState), ``"error"`` (DeviceError: the device failed while
    running), ``"device_fallback"`` (str: the chosen device was missing, the default is used).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from lkdesk.core.frames import AudioFrame
from lkdesk.media._audio_stream import AudioStreamOwner
from lkdesk.media._blocking import run_blocking
from lkdesk.media._handoff import HandoffClosed, ThreadHandoff
from lkdesk.media._processing_thread import ProcessingStage
from lkdesk.media.audio_processing import AudioProcessing
from lkdesk.media.devices import AudioDevice, load_sounddevice, resolve_audio_device
from lkdesk.media.errors import DeviceError, DeviceFailedError
from lkdesk.media.levels import SILENCE, AudioLevel, measure
from lkdesk.media.states import MediaState, StatefulDevice

logger = logging.getLogger(__name__)

MicrophoneEvent = Literal["state_changed", "error", "device_fallback"]
Latency = float | Literal["low", "high"]

QUEUE_MS = 200
"""How much captured audio may wait for a slow consumer before the oldest is dropped."""


class MicrophoneCapture(StatefulDevice[MicrophoneEvent]):
    """Capture ``channels`` x int16 at ``sample_rate`` in frames of ``frame_ms``.

    ``device`` is a sounddevice index or (part of) a name; None is the system default. A
    missing device falls back to the default (``fallback_reason`` says so) unless
    ``fallback_to_default`` is False, in which case :meth:`start` raises.
    """

    def __init__(
        self,
        device: int | str | None = None,
        *,
        sample_rate: int = 48000,
        channels: int = 1,
        frame_ms: int = 10,
        latency: Latency = "high",
        fallback_to_default: bool = True,
        stall_timeout_s: float = 5.0,
        processing: AudioProcessing | None = None,
    ) -> None:
        super().__init__()
        if channels < 1:
            raise ValueError("channels must be >= 1")
        if not 1 <= frame_ms <= 100 or (sample_rate * frame_ms) % 1000:
            raise ValueError(f"frame_ms={frame_ms} gives no whole frame at {sample_rate} Hz")
        self.requested_device = device
        self.sample_rate = sample_rate
        self.channels = channels
        self.frame_ms = frame_ms
        self.samples_per_frame = sample_rate * frame_ms // 1000
        self._latency = latency
        self._fallback = fallback_to_default
        self._stall_timeout_s = stall_timeout_s
        self._level = SILENCE
        self._owner: AudioStreamOwner | None = None
        self._handoff: ThreadHandoff[npt.NDArray[np.int16]] | None = None
        self._processing = processing
        self._stage: ProcessingStage | None = None
        self._stream_rate = sample_rate
        self.device: AudioDevice | None = None
        self.fallback_reason: str | None = None
        self.overflows = 0

    # --- read-only state ------------------------------------------------------------------

    @property
    def level(self) -> AudioLevel:
        """Level of the latest frame as sent (after processing, if any)."""
        return self._stage.level if self._stage is not None else self._level

    @property
    def voice_active(self) -> bool:
        """Someone is talking into the microphone (needs ``processing``; else False)."""
        return self._stage is not None and self._stage.voice_active

    @property
    def dropped_frames(self) -> int:
        """Frames dropped because the consumer was slower than the microphone."""
        return self._handoff.dropped if self._handoff is not None else 0

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the device and start capturing; DeviceError (state FAILED) if impossible."""
        self._begin_start()
        try:
            await self._open()
        except DeviceError as exc:
            await self._stop_stage()
            self._error = exc
            self._set_state(MediaState.FAILED)
            raise
        if self.state == MediaState.STARTING:  # not closed meanwhile
            self._set_state(MediaState.RUNNING)

    async def _open(self) -> None:
        resolved = resolve_audio_device(
            self.requested_device, "input", fallback_to_default=self._fallback
        )
        self.device = resolved.device
        if resolved.fallback_reason is not None:
            self.fallback_reason = resolved.fallback_reason
            logger.warning("%s", resolved.fallback_reason)
            self.emit("device_fallback", resolved.fallback_reason)
        maxlen = max(QUEUE_MS // self.frame_ms, 2)
        self._handoff = ThreadHandoff(asyncio.get_running_loop(), maxlen)
        if self._processing is not None:
            self._stage = ProcessingStage(
                self._processing, self._handoff.put, name="lkdesk-mic-processing"
            )
            self._stage.start()
        try:
            await self._open_stream(resolved.device, self.sample_rate, self.channels)
        except DeviceError:
            native = round(resolved.device.default_sample_rate)
            if self._stage is None or (native, 1) == (self.sample_rate, self.channels):
                raise
            logger.info("microphone refused %d Hz; converting from %d Hz", self.sample_rate, native)
            await self._open_stream(resolved.device, native, min(resolved.device.channels, 2))

    async def _open_stream(self, device: AudioDevice, rate: int, channels: int) -> None:
        owner = AudioStreamOwner(
            device, stall_timeout_s=self._stall_timeout_s, on_failed=self._on_failed
        )
        sd = load_sounddevice()
        self._stream_rate = rate

        def make_stream(finished: Any) -> Any:
            return sd.InputStream(
                device=device.index,
                samplerate=rate,
                channels=channels,
                dtype="int16",
                blocksize=rate * self.frame_ms // 1000,
                latency=self._latency,
                callback=self._callback,
                finished_callback=finished,
            )

        self._owner = owner
        await owner.open(make_stream)
        logger.info(
            "microphone %r open: %d Hz, %d ch, %d ms frames",
            device.name,
            rate,
            channels,
            self.frame_ms,
        )

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio's thread: copy, measure, hand off. No logging, no locks, no waiting."""
        owner, handoff = self._owner, self._handoff
        if owner is None or handoff is None:
            return
        owner.touch()
        if status.input_overflow:
            self.overflows += 1
        data: npt.NDArray[np.int16] = indata.copy()
        if self._stage is not None:
            self._stage.submit(data, self._stream_rate)
            return
        self._level = measure(data)
        handoff.put(data)

    def _on_failed(self, error: DeviceFailedError) -> None:
        if self._state in (MediaState.CLOSED, MediaState.FAILED):
            return
        self._error = error
        self._level = SILENCE
        if self._handoff is not None:
            self._handoff.close(error)
        self._set_state(MediaState.FAILED)
        self.emit("error", error)

    async def aclose(self) -> None:
        """Stop and close the stream (no thread left); iteration ends. Idempotent."""
        if self._state == MediaState.CLOSED:
            return
        self._set_state(MediaState.CLOSED)
        owner, self._owner = self._owner, None
        if owner is not None:
            await owner.close()
        await self._stop_stage()
        if self._handoff is not None:
            self._handoff.close()
        self._level = SILENCE

    async def _stop_stage(self) -> None:
        stage, self._stage = self._stage, None
        if stage is not None:
            await run_blocking(stage.stop, name="lkdesk-stop-processing", time_limit=5.0)

    async def __aenter__(self) -> MicrophoneCapture:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- frames -------------------------------------------------------------------------

    def __aiter__(self) -> MicrophoneCapture:
        return self

    async def __anext__(self) -> AudioFrame:
        """The next frame; ends after aclose(); raises DeviceFailedError if the device died."""
        if self._handoff is None:
            raise StopAsyncIteration
        try:
            data = await self._handoff.get()
        except HandoffClosed:
            raise StopAsyncIteration from None
        if self._processing is not None:
            return AudioFrame(data=data, sample_rate=48_000, num_channels=1)
        return AudioFrame(data=data, sample_rate=self.sample_rate, num_channels=self.channels)

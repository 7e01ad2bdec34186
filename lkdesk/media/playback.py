"""Remote audio playback: every input mixed into ONE sounddevice output stream.

Each remote track gets a :class:`PlaybackInput` with its own small jitter buffer, volume and
mute-for-me. The loop (or any thread) pushes frames; PortAudio's callback thread pulls 10 ms
from every input, mixes, applies the master volume and measures the output level. Input
buffers are shared between the two threads under a per-input lock held only for a copy.

Events (``playback.on(name, handler)``): ``"state_changed"`` (MediaState), ``"error"``
(DeviceError: the output device failed; pushing stays harmless, audio is simply not heard),
``"device_fallback"`` (str), ``"device_changed"`` (AudioDevice).

With a ``reference`` (:class:`EchoReference`), every block written to the device is also
written there: the microphone's echo canceller subtracts exactly what was played.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Literal

import numpy as np

from lkdesk.core.frames import AudioFrame
from lkdesk.media._audio_stream import AudioStreamOwner
from lkdesk.media.devices import AudioDevice, load_sounddevice, resolve_audio_device
from lkdesk.media.echo_reference import EchoReference
from lkdesk.media.errors import DeviceError, DeviceFailedError
from lkdesk.media.jitter import JitterBuffer, Samples
from lkdesk.media.levels import SILENCE, AudioLevel, measure
from lkdesk.media.states import MediaState, StatefulDevice

logger = logging.getLogger(__name__)

PlaybackEvent = Literal["state_changed", "error", "device_fallback", "device_changed"]
Latency = float | Literal["low", "high"]

MAX_VOLUME = 2.0
LATENCY_S = 0.1
"""The output buffer. The mix is computed in Python, so its callback needs the GIL: on a busy
2-core machine it was measured late by 50-250 ms several times a minute, and PortAudio's
"high" latency over PulseAudio is only 40 ms, so each such delay was an underrun (a gap the
user hears, and a jump in the echo path the canceller must follow). 100 ms rides out most."""


def _check_volume(value: float) -> float:
    volume = float(value)
    if not 0.0 <= volume <= MAX_VOLUME:  # also rejects NaN
        raise ValueError(f"volume must be within 0..{MAX_VOLUME}, got {value!r}")
    return volume


def to_mono_float(frame: AudioFrame, rate: int) -> Samples:
    """Mono float32 in -1..1 at ``rate`` (channels averaged, linear resampling if needed)."""
    data = frame.data
    if data.ndim == 1 or data.shape[1] == 1:
        mono = data.reshape(-1).astype(np.float32)
    else:
        mono = data.mean(axis=1, dtype=np.float32)
    mono *= np.float32(1.0 / 32768.0)
    if frame.sample_rate != rate and mono.size > 0:
        n_out = round(mono.size * rate / frame.sample_rate)
        positions = np.arange(n_out, dtype=np.float64) * (frame.sample_rate / rate)
        mono = np.interp(positions, np.arange(mono.size), mono).astype(np.float32)
    return mono


class PlaybackInput:
    """One remote audio source in the mix. Create with :meth:`AudioPlayback.add_input`."""

    def __init__(self, key: str, owner: AudioPlayback, capacity: int, start: int) -> None:
        self.key = key
        self._owner = owner
        self._lock = threading.Lock()
        self._buffer = JitterBuffer(capacity, start)
        self._volume = 1.0
        self.muted = False
        """Mute for me only: the input keeps being consumed, just not heard."""
        self._level = SILENCE
        self._closed = False

    @property
    def volume(self) -> float:
        """Gain 0..2 (1 = as received)."""
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        self._volume = _check_volume(value)

    @property
    def level(self) -> AudioLevel:
        """Level of the latest pushed frame, before volume and mute (a speaking meter)."""
        return self._level

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def underruns(self) -> int:
        return self._buffer.underruns

    @property
    def dropped_ms(self) -> float:
        """Audio dropped because the buffer overflowed (sender faster than the device)."""
        return 1000.0 * self._buffer.dropped_samples / self._owner.sample_rate

    @property
    def buffered_ms(self) -> float:
        return 1000.0 * self._buffer.buffered / self._owner.sample_rate

    def push(self, frame: AudioFrame) -> None:
        """Queue a frame for playback (any rate/channels; converted to mono 48 kHz)."""
        if self._closed:
            return
        mono = to_mono_float(frame, self._owner.sample_rate)
        self._level = measure(mono)
        with self._lock:
            self._buffer.write(mono)

    def _mix_into(self, mix: Samples, scratch: Samples) -> None:
        """PortAudio's thread: pull ``len(mix)`` samples and add them at this volume."""
        with self._lock:
            got = self._buffer.read_into(scratch)
        volume = 0.0 if self.muted else self._volume
        if got and volume > 0.0:
            if volume != 1.0:
                np.multiply(scratch[:got], np.float32(volume), out=scratch[:got])
            mix[:got] += scratch[:got]

    def close(self) -> None:
        """Leave the mix; later pushes are ignored."""
        if not self._closed:
            self._closed = True
            self._owner._remove(self)


class AudioPlayback(StatefulDevice[PlaybackEvent]):
    """Plays every :class:`PlaybackInput` through one output stream at ``sample_rate``."""

    def __init__(
        self,
        device: int | str | None = None,
        *,
        sample_rate: int = 48000,
        channels: int | None = None,
        block_ms: int = 10,
        jitter_ms: int = 50,
        max_buffer_ms: int = 200,
        latency: Latency = LATENCY_S,
        fallback_to_default: bool = True,
        stall_timeout_s: float = 5.0,
        reference: EchoReference | None = None,
    ) -> None:
        super().__init__()
        if not 0 < jitter_ms <= max_buffer_ms:
            raise ValueError("need 0 < jitter_ms <= max_buffer_ms")
        self.requested_device = device
        self.sample_rate = sample_rate
        self._channels = channels
        self.block_size = sample_rate * block_ms // 1000
        self._start_samples = sample_rate * jitter_ms // 1000
        self._capacity = sample_rate * max_buffer_ms // 1000
        self._latency = latency
        self._fallback = fallback_to_default
        self._stall_timeout_s = stall_timeout_s
        self._inputs: dict[str, PlaybackInput] = {}
        self._snapshot: tuple[PlaybackInput, ...] = ()  # what the callback iterates
        self._inputs_lock = threading.Lock()
        self._reference = reference  # gets the final mix: the echo canceller's far end
        self._master_volume = 1.0
        self._level = SILENCE
        self._mix: Samples = np.zeros(self.block_size, dtype=np.float32)
        self._scratch: Samples = np.zeros(self.block_size, dtype=np.float32)
        self._owner: AudioStreamOwner | None = None
        self.device: AudioDevice | None = None
        self.fallback_reason: str | None = None
        self.output_channels = 0

    # --- inputs -------------------------------------------------------------------------

    def add_input(self, key: str) -> PlaybackInput:
        """The input for ``key`` (e.g. a track sid), created on first use."""
        with self._inputs_lock:
            existing = self._inputs.get(key)
            if existing is not None:
                return existing
            playback_input = PlaybackInput(key, self, self._capacity, self._start_samples)
            self._inputs[key] = playback_input
            self._snapshot = tuple(self._inputs.values())
            return playback_input

    def get_input(self, key: str) -> PlaybackInput | None:
        return self._inputs.get(key)

    @property
    def inputs(self) -> tuple[PlaybackInput, ...]:
        return self._snapshot

    def _remove(self, playback_input: PlaybackInput) -> None:
        with self._inputs_lock:
            if self._inputs.get(playback_input.key) is playback_input:
                del self._inputs[playback_input.key]
                self._snapshot = tuple(self._inputs.values())

    # --- levels and state ----------------------------------------------------------------

    @property
    def master_volume(self) -> float:
        """Gain 0..2 applied to the whole mix."""
        return self._master_volume

    @master_volume.setter
    def master_volume(self, value: float) -> None:
        self._master_volume = _check_volume(value)

    @property
    def level(self) -> AudioLevel:
        """Level of the mix as last sent to the device."""
        return self._level

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the output device; DeviceError (state FAILED) if impossible."""
        self._begin_start()
        try:
            await self._open(self.requested_device, fallback=self._fallback)
        except DeviceError as exc:
            self._error = exc
            self._set_state(MediaState.FAILED)
            raise
        if self.state == MediaState.STARTING:
            self._set_state(MediaState.RUNNING)

    async def set_device(self, device: int | str | None) -> None:
        """Switch the output device (also restarts after a failure).

        If ``device`` cannot be opened the previous one is reopened and DeviceError raised.
        """
        if self._state == MediaState.CLOSED:
            raise RuntimeError("set_device() after aclose()")
        if self._state == MediaState.IDLE:
            self.requested_device = device
            return
        previous = self.requested_device
        await self._close_owner()
        try:
            await self._open(device, fallback=False)
        except DeviceError as exc:
            logger.warning("switching the speaker failed: %s", exc)
            try:
                await self._open(previous, fallback=True)
            except DeviceError as again:
                self._error = again
                self._set_state(MediaState.FAILED)
            raise
        self.requested_device = device
        self._error = None
        self._set_state(MediaState.RUNNING)
        self.emit("device_changed", self.device)

    async def _open(self, wanted: int | str | None, *, fallback: bool) -> None:
        resolved = resolve_audio_device(wanted, "output", fallback_to_default=fallback)
        if resolved.fallback_reason is not None:
            self.fallback_reason = resolved.fallback_reason
            logger.warning("%s", resolved.fallback_reason)
            self.emit("device_fallback", resolved.fallback_reason)
        device = resolved.device
        channels = self._channels or min(2, device.channels)
        sd = load_sounddevice()

        def make_stream(finished: Any) -> Any:
            return sd.OutputStream(
                device=device.index,
                samplerate=self.sample_rate,
                channels=channels,
                dtype="float32",
                blocksize=self.block_size,
                latency=self._latency,
                callback=self._callback,
                finished_callback=finished,
            )

        owner = AudioStreamOwner(
            device, stall_timeout_s=self._stall_timeout_s, on_failed=self._on_failed
        )
        self._owner = owner
        try:
            await owner.open(make_stream)
        except BaseException:
            self._owner = None
            raise
        self.device = device
        self.output_channels = channels
        logger.info("speaker %r open: %d Hz, %d ch", device.name, self.sample_rate, channels)

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio's thread: mix every input into ``outdata``. No logging, no waiting."""
        owner = self._owner
        if owner is not None:
            owner.touch()
        if frames > self._mix.shape[0]:
            self._mix = np.zeros(frames, dtype=np.float32)
            self._scratch = np.zeros(frames, dtype=np.float32)
        mix, scratch = self._mix[:frames], self._scratch[:frames]
        mix[:] = 0.0
        for playback_input in self._snapshot:
            playback_input._mix_into(mix, scratch)
        master = self._master_volume
        if master != 1.0:
            mix *= np.float32(master)
        np.clip(mix, -1.0, 1.0, out=mix)
        if self._reference is not None:
            self._reference.write(mix, self.sample_rate)
        self._level = measure(mix)
        outdata[:] = mix[:, np.newaxis]

    def _on_failed(self, error: DeviceFailedError) -> None:
        if self._state in (MediaState.CLOSED, MediaState.FAILED):
            return
        self._error = error
        self._level = SILENCE
        self._set_state(MediaState.FAILED)
        self.emit("error", error)

    async def _close_owner(self) -> None:
        owner, self._owner = self._owner, None
        if owner is not None:
            await owner.close()

    async def aclose(self) -> None:
        """Close the output stream (no thread left) and drop every input. Idempotent."""
        if self._state == MediaState.CLOSED:
            return
        self._set_state(MediaState.CLOSED)
        await self._close_owner()
        for playback_input in self._snapshot:
            playback_input.close()
        self._level = SILENCE

    async def __aenter__(self) -> AudioPlayback:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

"""Ownership of one sounddevice stream: open and close off the loop, notice when it dies.

PortAudio reports a stream that ends on its own (audio server killed, device unplugged) by
calling the stream's ``finished_callback`` without anyone having stopped it. A watchdog also
catches a stream that stays "active" but whose callbacks stop (a frozen audio server).
Either way the owner's ``on_failed`` runs once, on the loop, with a DeviceFailedError.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from lkdesk.media._blocking import run_blocking
from lkdesk.media.devices import AudioDevice, load_sounddevice, translate_portaudio_error
from lkdesk.media.errors import DeviceError, DeviceFailedError

logger = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 5.0
WATCH_INTERVAL_S = 0.25
FIRST_CALLBACK_GRACE_S = 5.0
"""PortAudio's ALSA-over-PulseAudio path can take ~2 s to deliver its first callback."""

StreamFactory = Callable[[Callable[[], None]], Any]
"""Builds an unstarted sounddevice stream, given the finished_callback to install."""


def _stop_and_close(stream: Any) -> None:
    try:
        stream.stop()
    finally:
        stream.close()


class AudioStreamOwner:
    """Opens, watches and closes one sounddevice stream for a device."""

    def __init__(
        self,
        device: AudioDevice,
        *,
        stall_timeout_s: float,
        on_failed: Callable[[DeviceFailedError], None],
    ) -> None:
        self.device = device
        self._label = "microphone" if device.kind == "input" else "speaker"
        self._stall_timeout_s = stall_timeout_s
        self._on_failed = on_failed
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stream: Any = None
        self._stopping = False
        self._failed = False
        self._watchdog: asyncio.Task[None] | None = None
        self._teardown: asyncio.Task[None] | None = None
        self.last_callback = 0.0
        self._alive = False  # a callback has run since open

    async def open(self, factory: StreamFactory) -> None:
        """Create and start the stream in a helper thread; DeviceError if that fails."""
        sd = load_sounddevice()
        self._loop = asyncio.get_running_loop()

        def open_and_start() -> Any:
            stream = factory(self._on_finished)
            try:
                stream.start()
            except BaseException:
                stream.close()
                raise
            return stream

        name = f"lkdesk-open-{self.device.kind}"
        try:
            self._stream = await run_blocking(
                open_and_start, name=name, time_limit=OPEN_TIMEOUT_S, cleanup=_stop_and_close
            )
        except sd.PortAudioError as exc:
            raise translate_portaudio_error(exc, self.device.kind, self.device.name) from exc
        except TimeoutError as exc:
            raise DeviceError(
                f"The {self._label} {self.device.name!r} did not open within "
                f"{OPEN_TIMEOUT_S:.0f} s: the audio system seems stuck. Restart it or choose "
                f"another {self._label}."
            ) from exc
        self.last_callback = time.monotonic()
        self._watchdog = self._loop.create_task(self._watch(), name=f"lkdesk-{name}-watchdog")

    def touch(self) -> None:
        """Called from the audio callback: the stream is alive."""
        self.last_callback = time.monotonic()
        self._alive = True

    def _on_finished(self) -> None:  # PortAudio's thread
        if self._stopping or self._loop is None:
            return
        with contextlib.suppress(RuntimeError):  # loop closed: nobody left to tell
            self._loop.call_soon_threadsafe(
                self._fail,
                f"The {self._label} {self.device.name!r} stopped working: it was unplugged or "
                f"the audio system (PulseAudio, PipeWire) went away. Reconnect it, restart the "
                f"audio system, or choose another {self._label}.",
            )

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            silent_for = time.monotonic() - self.last_callback
            limit = self._stall_timeout_s
            if not self._alive:
                limit = max(limit, FIRST_CALLBACK_GRACE_S)
            if silent_for > limit:
                self._fail(
                    f"The {self._label} {self.device.name!r} stopped responding "
                    f"(no audio for {silent_for:.1f} s): the audio system may be frozen. "
                    f"Restart it or choose another {self._label}."
                )
                return

    def _fail(self, message: str) -> None:
        if self._stopping or self._failed or self._loop is None:
            return
        self._failed = True
        logger.warning("%s", message)
        self._teardown = self._loop.create_task(self._close_stream(), name="lkdesk-audio-teardown")
        self._on_failed(DeviceFailedError(message))

    async def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            await run_blocking(
                lambda: _stop_and_close(stream),
                name=f"lkdesk-close-{self.device.kind}",
                time_limit=CLOSE_TIMEOUT_S,
            )
        except TimeoutError:
            logger.warning("closing the %s %r timed out", self._label, self.device.name)
        except Exception:
            logger.exception("closing the %s %r failed", self._label, self.device.name)

    async def close(self) -> None:
        """Stop watching and close the stream; idempotent."""
        self._stopping = True
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None and watchdog is not asyncio.current_task():
            watchdog.cancel()
            await asyncio.wait([watchdog])  # our own cancellation still propagates
        if self._teardown is not None:
            await self._teardown
        await self._close_stream()

"""Lifecycle states shared by capture and playback objects."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from lkdesk.core.emitter import EventEmitter
from lkdesk.media.errors import DeviceError

EventName = TypeVar("EventName", bound=str)


class MediaState(StrEnum):
    """IDLE → STARTING → RUNNING → (ENDED | FAILED) → CLOSED."""

    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    ENDED = "ended"  # a file source reached its end
    FAILED = "failed"  # see the object's ``error``
    CLOSED = "closed"


class StatefulDevice(EventEmitter[EventName]):
    """Lifecycle bookkeeping shared by every capture and playback object."""

    def __init__(self) -> None:
        super().__init__()
        self._state = MediaState.IDLE
        self._error: DeviceError | None = None

    @property
    def state(self) -> MediaState:
        return self._state

    @property
    def error(self) -> DeviceError | None:
        """Why the device failed (state FAILED), if it did."""
        return self._error

    def _set_state(self, state: MediaState) -> None:
        if state != self._state:
            self._state = state
            self.emit("state_changed", state)  # type: ignore[arg-type]

    def _begin_start(self) -> None:
        """``start()`` may run once, from IDLE."""
        if self._state != MediaState.IDLE:
            raise RuntimeError(f"start() called in state {self._state}")
        self._set_state(MediaState.STARTING)

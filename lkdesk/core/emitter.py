"""A small, synchronous event emitter with the official SDK's ``on``/``off`` style."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

EventName = TypeVar("EventName", bound=str)
Handler = Callable[..., Any]


class EventEmitter(Generic[EventName]):
    """Register handlers by event name; a failing handler is logged, never fatal."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Handler]] = {}

    def on(self, event: EventName, callback: Handler | None = None) -> Any:
        """Register ``callback`` for ``event``; usable as ``@emitter.on("name")``."""
        if callback is None:

            def decorator(func: Handler) -> Handler:
                self.on(event, func)
                return func

            return decorator
        self._listeners.setdefault(event, []).append(callback)
        return callback

    def once(self, event: EventName, callback: Handler) -> Handler:
        """Register ``callback`` to run only on the next ``event``."""

        def wrapper(*args: Any) -> None:
            self.off(event, wrapper)
            callback(*args)

        return self.on(event, wrapper)  # type: ignore[no-any-return]

    def off(self, event: EventName, callback: Handler) -> None:
        """Remove a handler; unknown handlers are ignored."""
        handlers = self._listeners.get(event, [])
        if callback in handlers:
            handlers.remove(callback)

    def off_all(self) -> None:
        """Drop every handler (an owner letting go of the emitter does this)."""
        self._listeners.clear()

    def emit(self, event: EventName, *args: Any) -> None:
        """Call every handler of ``event`` in registration order."""
        for handler in list(self._listeners.get(event, ())):
            try:
                handler(*args)
            except Exception:
                logger.exception("handler for %r failed", event)

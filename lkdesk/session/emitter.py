"""A tiny synchronous event emitter for sessions (no lkdesk.rtc import, so demo starts fast)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

logger = logging.getLogger(__name__)

SessionEvent = Literal[
    "status",  # (Status)
    "participant_joined",  # (ParticipantState)
    "participant_updated",  # (ParticipantState)
    "participant_left",  # (ParticipantState, reason: str)
    "video_frame",  # (TileKey, ndarray (h, w, 3) uint8 RGB)
    "video_ended",  # (TileKey)
    "local_media",  # (LocalMedia)
    "chat_message",  # (ChatMessage)
    "transfer",  # (FileTransfer)
    "preview_frame",  # (ndarray) local camera preview before and during the call
    "mic_level",  # (float 0..1) local microphone level
    "notice",  # (Notice)
    "capabilities",  # (Capabilities)
    "audio_processing",  # (AudioProcessingSettings)
    "talking_while_muted",  # (bool) voice on the muted microphone: show "You are muted"
]
Handler = Callable[..., Any]


class Emitter:
    """``on``/``off``/``emit``; a failing handler is logged and never stops the others."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}

    def on(self, event: SessionEvent, handler: Handler) -> None:
        """Call ``handler`` on every ``event``."""
        self._handlers.setdefault(event, []).append(handler)

    def off(self, event: SessionEvent, handler: Handler) -> None:
        """Stop calling ``handler``; unknown handlers are ignored."""
        handlers = self._handlers.get(event, [])
        if handler in handlers:
            handlers.remove(handler)

    def off_all(self) -> None:
        """Drop every handler (the UI does this when it lets go of a session)."""
        self._handlers.clear()

    def emit(self, event: SessionEvent, *args: Any) -> None:
        for handler in list(self._handlers.get(event, ())):
            try:
                handler(*args)
            except Exception:
                logger.exception("session handler for %r failed", event)

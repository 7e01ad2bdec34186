"""``SessionBridge``: a session's events as Qt signals, detachable in one call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from lkdesk.session import Session, SessionEvent


class SessionBridge(QObject):
    """Re-emits every session event as a signal of the same name (arguments unchanged)."""

    status = Signal(object)
    participant_joined = Signal(object)
    participant_updated = Signal(object)
    participant_left = Signal(object, str)
    video_frame = Signal(object, object)
    video_ended = Signal(object)
    local_media = Signal(object)
    chat_message = Signal(object)
    chat_updated = Signal(object)
    transfer = Signal(object)
    preview_frame = Signal(object)
    mic_level = Signal(float)
    notice = Signal(object)
    capabilities = Signal(object)
    audio_processing = Signal(object)
    talking_while_muted = Signal(bool)
    room_name = Signal(str)
    caption = Signal(object, bool)
    connection_details = Signal(object)

    EVENTS: tuple[SessionEvent, ...] = (
        "status", "participant_joined", "participant_updated", "participant_left",
        "video_frame", "video_ended", "local_media", "chat_message", "chat_updated", "transfer",
        "preview_frame", "mic_level", "notice", "capabilities",
        "audio_processing", "talking_while_muted", "room_name",
        "caption", "connection_details",
    )

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._handlers: list[tuple[SessionEvent, Callable[..., Any]]] = []
        for event in self.EVENTS:
            signal = getattr(self, event)
            handler: Callable[..., Any] = signal.emit
            session.on(event, handler)
            self._handlers.append((event, handler))

    def detach(self) -> None:
        """Stop forwarding; the bridge may then be deleted."""
        for event, handler in self._handlers:
            self.session.off(event, handler)
        self._handlers.clear()

"""Errors the session layer raises on purpose; every message says what to do."""

from __future__ import annotations

from lkdesk.core.errors import LkdeskError


class SessionError(LkdeskError):
    """Base class of errors raised by :mod:`lkdesk.session`."""


class NotAvailableError(SessionError):
    """The action exists in the UI but this build or this session cannot do it yet."""


class NotConnectedError(SessionError):
    """The action needs a joined room."""


class InvalidTargetError(SessionError):
    """Connection details are unusable; ``field`` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class AdminActionError(SessionError):
    """An admin action failed; the message comes from the server's answer."""

"""Errors raised by :mod:`lkdesk.admin`: every RoomService failure is one of these.

::

    AdminError
    ├── AdminUnreachableError      nothing answered (refused, DNS, TLS, proxy, connection lost)
    │   ├── AdminCertificateError  the server's TLS certificate was rejected (``.fault``)
    │   └── AdminTimeoutError      no answer within the timeout
    ├── InvalidCredentialsError    wrong API key/secret, or an expired/foreign token
    ├── MissingGrantError          the token lacks a grant (``.grant``, ``.room``)
    ├── NotFoundError              the room or participant does not exist (``.what``)
    ├── UnsupportedByServerError   this server (version or edition) lacks the call
    ├── InvalidRequestError        the server refused the arguments (e.g. too large)
    └── AdminServerError           any other server-side failure (``.code``, ``.status``)

Messages say what to do and never contain a key secret or token.
"""

from __future__ import annotations

from lkdesk.core.errors import LkdeskError


class AdminError(LkdeskError):
    """Base class of every error raised by :mod:`lkdesk.admin`."""


class AdminUnreachableError(AdminError):
    """Nothing answered at the server URL, or the connection broke."""


class AdminCertificateError(AdminUnreachableError):
    """The server's TLS certificate was not accepted; ``fault`` names why (core.tls)."""

    def __init__(self, message: str, fault: str) -> None:
        super().__init__(message)
        self.fault = fault


class AdminTimeoutError(AdminUnreachableError):
    """The server did not answer within the timeout."""


class InvalidCredentialsError(AdminError):
    """The server rejected the API key/secret or the token."""


class MissingGrantError(AdminError):
    """The credentials are valid but lack ``grant`` (for ``room`` when room-scoped)."""

    def __init__(self, message: str, grant: str, room: str = "") -> None:
        super().__init__(message)
        self.grant = grant
        self.room = room


class NotFoundError(AdminError):
    """What the call names does not exist; ``what`` says which (e.g. "room 'x'")."""

    def __init__(self, message: str, what: str) -> None:
        super().__init__(message)
        self.what = what


class UnsupportedByServerError(AdminError):
    """The server does not implement ``operation`` (too old, or not LiveKit Cloud)."""

    def __init__(self, message: str, operation: str) -> None:
        super().__init__(message)
        self.operation = operation


class InvalidRequestError(AdminError):
    """The request is invalid (bad URL, same source and destination room, size limits)."""


class AdminServerError(AdminError):
    """Any other server failure; ``code`` is the Twirp code, ``status`` the HTTP status."""

    def __init__(self, message: str, code: str = "", status: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

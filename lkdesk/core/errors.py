"""The documented error tree of lkdesk.

Every failure a user can cause or meet is one of these, with a message that says what
happened and what to do. Third-party exceptions are translated at layer boundaries
(``raise ... from ...``) so callers never need to know aiortc, websockets or protobuf.
"""

from __future__ import annotations


class LkdeskError(Exception):
    """Base class of every error lkdesk raises on purpose."""


class ConnectError(LkdeskError):
    """Joining a room failed; the message names the cause."""


class InvalidUrlError(ConnectError):
    """The server URL is not a usable ws://, wss://, http:// or https:// URL."""


class ServerUnreachableError(ConnectError):
    """Nothing answered at the server address (DNS, refused, timeout)."""


class NotLiveKitServerError(ConnectError):
    """Something answered, but it does not speak LiveKit's signalling protocol."""


class AuthenticationError(ConnectError):
    """The server rejected the token: wrong key/secret, expired, malformed."""


class PermissionDeniedError(ConnectError):
    """The token is valid but lacks a needed grant (e.g. roomJoin)."""


class RoomNotFoundError(ConnectError):
    """The room does not exist and the server does not create rooms on join."""


class ServerLimitError(ConnectError):
    """The server refused the join because a limit was reached (room full, quota)."""


class MediaNegotiationError(ConnectError):
    """Signalling worked but the media connection could not be established."""


class SignalProtocolError(LkdeskError):
    """A signalling message could not be decoded or violated the protocol."""


class RoomError(LkdeskError):
    """An operation inside a connected room failed (not connected, refused by server)."""


class PublishError(RoomError):
    """Publishing or changing a local track failed."""


class PublishPermissionError(PublishError):
    """The server does not allow this participant to publish that source or data."""


class CertificateError(ConnectError):
    """The server's TLS certificate was not accepted; ``fault`` names why (see core.tls)."""

    def __init__(self, message: str, fault: str) -> None:
        super().__init__(message)
        self.fault = fault


class ProxyError(ConnectError):
    """The HTTP proxy from the environment (HTTPS_PROXY) refused or broke the connection."""

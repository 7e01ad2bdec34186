"""Turn failed signalling handshakes into lkdesk errors a person can act on.

The server answers a refused join with a plain HTTP status and a short text body
before any WebSocket exists (PROTOCOL_NOTES §1.1). Some bodies echo the token, so the
body is scrubbed before it may appear in a message.
"""

from __future__ import annotations

import re

from lkdesk.core.errors import (
    AuthenticationError,
    ConnectError,
    NotLiveKitServerError,
    PermissionDeniedError,
    RoomNotFoundError,
    ServerLimitError,
)

_JWT_RE = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def scrub_secrets(text: str, token: str = "") -> str:
    """Remove the token (and anything shaped like a JWT) from a server message."""
    if token:
        text = text.replace(token, "<token>")
    return _JWT_RE.sub("<token>", text)


def error_for_http_status(status: int, body: str, token: str) -> ConnectError:
    """Classify a refused upgrade by status code and the server's reason text."""
    reason = scrub_secrets(body.strip(), token)[:300]
    lowered = reason.lower()
    if status == 401:
        if "expired" in lowered:
            return AuthenticationError(
                "The access token has expired. Get a new token (or mint one from the "
                "profile's API key) and join again."
            )
        if "invalid api key" in lowered:
            return AuthenticationError(
                "The server does not know the token's API key. Check that the token was "
                "made for this server."
            )
        if "signature" in lowered:
            return AuthenticationError(
                "The token's signature does not match the server's API secret. Check the "
                "API key and secret the token was made with."
            )
        if "permission" in lowered:
            return PermissionDeniedError(
                "The token does not allow joining a room (it needs the roomJoin grant and a "
                "room name). Ask for a token with join permission."
            )
        if "malformed" in lowered or "invalid" in lowered or "authorization" in lowered:
            return AuthenticationError(
                f"The server rejected the token as invalid ({reason}). Paste the whole token again."
            )
        return AuthenticationError(f"The server rejected the token: {reason}")
    if status == 403:
        return PermissionDeniedError(f"The server refused the join: {reason}")
    if status == 404:
        if "room" in lowered:
            return RoomNotFoundError(
                "The room does not exist and this server does not create rooms on join. "
                "Create it first or pick another room."
            )
        return NotLiveKitServerError(
            "The server answered 'not found' for LiveKit's signalling path. Is this the "
            "address of a LiveKit server?"
        )
    if status == 400:
        return PermissionDeniedError(
            f"The server refused the join request ({reason}). The token may lack an "
            "identity or a room name."
        )
    if status in (429, 503):
        return ServerLimitError(f"The server is at a limit and refused the join: {reason}")
    return NotLiveKitServerError(
        f"The server answered HTTP {status} instead of starting a LiveKit session: {reason}"
    )

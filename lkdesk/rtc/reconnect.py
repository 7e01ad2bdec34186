"""When and how often to rejoin after the connection is lost.

lkdesk rejoins fully (new session, same identity): aiortc cannot restart ICE, which the
server requires for a resume (PROTOCOL_NOTES §6.3). Delays follow the JS SDK's schedule.
Errors that another attempt cannot fix (a rejected token, a deleted room) stop retrying.
"""

from __future__ import annotations

from lkdesk.errors import (
    AuthenticationError,
    InvalidUrlError,
    LkdeskError,
    PermissionDeniedError,
    RoomNotFoundError,
)

RECONNECT_DELAYS_S: tuple[float, ...] = (0.0, 0.3, 1.2, 2.7, 4.8, 7.0, 7.0, 7.0, 7.0, 7.0)

_FINAL = (AuthenticationError, PermissionDeniedError, RoomNotFoundError, InvalidUrlError)


def is_final(error: LkdeskError) -> bool:
    """True when retrying cannot help (the user must act: new token, other room)."""
    return isinstance(error, _FINAL)

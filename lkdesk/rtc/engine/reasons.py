"""Plain words for why a session ended (``DisconnectReason``), and for what it left unsent."""

from __future__ import annotations

from livekit.protocol import models as proto_models

_REASON_TEXT = {
    "CLIENT_INITIATED": "You left the room.",
    "DUPLICATE_IDENTITY": "Someone joined with the same identity, so this session was ended.",
    "SERVER_SHUTDOWN": "The server shut down.",
    "PARTICIPANT_REMOVED": "You were removed from the room by an administrator.",
    "ROOM_DELETED": "The room was deleted by an administrator.",
    "STATE_MISMATCH": "The server lost this session's state.",
    "JOIN_FAILURE": "Joining failed on the server.",
    "MIGRATION": "The session was migrated to another server.",
    "SIGNAL_CLOSE": "The connection to the server was lost.",
    "ROOM_CLOSED": "The room was closed.",
    "USER_UNAVAILABLE": "The user is unavailable.",
    "USER_REJECTED": "The call was rejected.",
    "CONNECTION_TIMEOUT": "The connection timed out.",
    "MEDIA_FAILURE": "The media connection failed.",
}


def describe_disconnect(reason: int) -> str:
    """Plain words for a ``DisconnectReason`` value."""
    name = proto_models.DisconnectReason.Name(reason) if reason in _reason_values() else ""
    return _REASON_TEXT.get(name, "The session ended.")


def _reason_values() -> set[int]:
    return set(proto_models.DisconnectReason.values())


def ended_message(reason: int) -> str:
    """Why something that waited for the connection was not sent."""
    if reason == proto_models.DisconnectReason.CLIENT_INITIATED:
        return "You left the room before this could be sent."
    return f"The call ended before this could be sent: {describe_disconnect(reason)}"

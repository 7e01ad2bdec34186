"""Why a call ended, in plain words with what to do next (moved out of call.py as is)."""

from __future__ import annotations

from lkdesk import rtc

_ADVICE = {
    "PARTICIPANT_REMOVED": "Rejoin if you were removed by mistake, or ask the host.",
    "ROOM_DELETED": "Ask the host whether the meeting moved to another room.",
    "DUPLICATE_IDENTITY": "Close the other window or device that uses the same identity.",
    "SIGNAL_CLOSE": "Check your network connection, then rejoin.",
    "MEDIA_FAILURE": "Check your network (a firewall may block UDP), then rejoin.",
    "CONNECTION_TIMEOUT": "Check your network connection, then rejoin.",
    "SERVER_SHUTDOWN": "Wait a moment, then rejoin.",
}


def describe_end(reason: int) -> str:
    """Plain words for why a call ended, with what to do next."""
    text = rtc.describe_disconnect(reason)
    try:
        name = rtc.DisconnectReason.Name(reason)
    except ValueError:
        name = ""
    return f"{text} {_ADVICE.get(name, '')}".strip()

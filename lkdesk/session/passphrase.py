"""The end-to-end encryption passphrase as the user types it (checked before any network)."""

from __future__ import annotations

from lkdesk.session.errors import InvalidTargetError


def check_passphrase(text: str) -> str:
    """``text`` unchanged, or InvalidTargetError (field ``passphrase``) when it is blank.

    Spaces inside or around a passphrase are kept: LiveKit Meet uses the text after ``#``
    exactly as it is.
    """
    if not text.strip():
        raise InvalidTargetError(
            "passphrase",
            "Enter the room's passphrase (everyone in the room uses the same one), or turn "
            "end-to-end encryption off. A passphrase of only spaces cannot protect anything.",
        )
    return text

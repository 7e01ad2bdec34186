"""End-to-end encryption of a call: the passphrase, who cannot be decrypted, what is clear.

The pre-join screen's passphrase becomes ``RoomOptions(encryption=...)`` with LiveKit
Meet's key handling (PBKDF2, no ratcheting, a wrong key never given up on). A blank
passphrase is refused before anything connects. During the call the room's
``e2ee_state_changed`` events mark a participant whose media our key cannot open, so its
tile can say so instead of staying black; chat or data someone sends unencrypted into an
encrypted room is announced once per person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from lkdesk import rtc
from lkdesk.rtc.e2ee import E2EEOptions, EncryptionState, passphrase_options
from lkdesk.session.model import NoticeLevel, ParticipantState
from lkdesk.session.passphrase import check_passphrase

ENCRYPTED_NOTE = "End-to-end encrypted: video, audio and the chat you send."
_FAILING = (EncryptionState.DECRYPTION_FAILED, EncryptionState.MISSING_KEY)


def encryption_for(passphrase: str | None) -> E2EEOptions | None:
    """Room encryption for a pre-join passphrase (None: none); a blank one is refused."""
    if passphrase is None:
        return None
    return passphrase_options(check_passphrase(passphrase))


class CallEncryption:
    """Follows one room's encryption for a :class:`CallSession`."""

    def __init__(
        self,
        update: Callable[..., Any],
        notice: Callable[[str, NoticeLevel], None],
        participant: Callable[[str], ParticipantState | None],
    ) -> None:
        self._update = update
        self._notice = notice
        self._participant = participant
        self._room: rtc.Room | None = None
        self._failing: set[str] = set()
        self._clear_senders: set[str] = set()

    @property
    def encrypted(self) -> bool:
        room = self._room
        return room is not None and room.e2ee_manager.enabled

    @property
    def note(self) -> str:
        return ENCRYPTED_NOTE if self.encrypted else ""

    def wire(self, room: rtc.Room) -> None:
        self._room = room
        self._failing.clear()
        room.on("e2ee_state_changed", self._state_changed)
        room.on("unencrypted_data_received", self._clear_data)

    def mark(self, state: ParticipantState) -> ParticipantState:
        """``state`` with whether its media can be decrypted (for fresh snapshots)."""
        failing = state.identity in self._failing
        return state if state.cannot_decrypt == failing else replace(state, cannot_decrypt=failing)

    def _state_changed(self, participant: Any, _state: EncryptionState) -> None:
        room = self._room
        if room is None or participant is room.local_participant:
            return
        identity = participant.identity
        failing = room.e2ee_manager.decryption_state(identity) in _FAILING
        if failing == (identity in self._failing):
            return
        if failing:
            self._failing.add(identity)
        else:
            self._failing.discard(identity)
        self._update(identity, cannot_decrypt=failing)

    def _clear_data(self, participant: Any) -> None:
        identity = participant.identity
        if identity in self._clear_senders:
            return
        self._clear_senders.add(identity)
        state = self._participant(identity)
        name = state.display_name if state is not None else identity
        self._notice(
            f"Chat from {name} is not end-to-end encrypted: their app sends "
            "it in clear (LiveKit Meet does). Video and audio are encrypted.",
            NoticeLevel.WARNING,
        )

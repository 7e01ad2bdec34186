"""``E2EEManager``: a room's key provider and frame cryptors (``livekit.rtc.E2EEManager``).

It keeps one :class:`FrameCryptor` per local track we send and per remote track we
receive. The receive side is looked up per frame from aiortc's decoder threads
(:meth:`E2EEManager.receiver_for`), so the registry only ever swaps whole dictionaries:
a reader sees the old or the new one, never a half-changed one. A frame of a track the
room does not know yet (its ParticipantUpdate is still on the way) is dropped, as
livekit-client does: its encryption state is unknown.
"""

from __future__ import annotations

from collections.abc import Callable

from lkdesk.rtc.e2ee.cryptor import FrameCryptor, StateListener
from lkdesk.rtc.e2ee.frames import Drop
from lkdesk.rtc.e2ee.key_provider import KeyProvider
from lkdesk.rtc.e2ee.options import E2EEOptions, EncryptionState, EncryptionType

_FAILING = (EncryptionState.DECRYPTION_FAILED, EncryptionState.MISSING_KEY)


class UnknownTrack:
    """Stands in for the cryptor of a track not known yet: drops (and counts) its frames."""

    def __init__(self) -> None:
        self.dropped = 0

    def decrypt(self, codec: str, frame: bytes) -> bytes | None:
        self.dropped += 1
        return None

    def __repr__(self) -> str:
        return f"UnknownTrack(dropped={self.dropped}, reason={Drop.UNKNOWN_TRACK.value!r})"


class E2EEManager:
    """End-to-end encryption of one room; inert (``enabled`` False) without options."""

    def __init__(self, options: E2EEOptions | None) -> None:
        self.options = options
        self._enabled = options is not None
        self._key_provider = KeyProvider(options.key_provider_options) if options else None
        self._senders: dict[str, FrameCryptor] = {}
        self._receivers: dict[str, FrameCryptor] = {}
        self.unknown = UnknownTrack()
        self.on_state: StateListener | None = None
        self.on_enabled: Callable[[bool], None] | None = None
        self.sif_trailer = b""

    # ----- the SDK's API ---------------------------------------------------------------------

    @property
    def key_provider(self) -> KeyProvider | None:
        return self._key_provider

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        """Encrypt what we send (True) or send in clear (False); needs encryption options.

        Received tracks keep following what their publishers announced.
        """
        if enabled and self._key_provider is None:
            raise ValueError("end-to-end encryption needs RoomOptions(encryption=E2EEOptions(...))")
        changed = enabled != self._enabled
        self._enabled = enabled
        for cryptor in self._senders.values():
            cryptor.set_enabled(enabled)
        if changed and self.on_enabled is not None:
            self.on_enabled(enabled)

    def frame_cryptors(self) -> list[FrameCryptor]:
        """Every cryptor: our published tracks', then the received tracks'."""
        return [*self._senders.values(), *self._receivers.values()]

    def decryption_state(self, participant_identity: str) -> EncryptionState:
        """lkdesk's own: how receiving from a participant goes, over all its tracks.

        DECRYPTION_FAILED or MISSING_KEY as soon as one track fails, OK when one decrypts
        and none fails, NEW before any frame arrived (or for a participant sending in clear).
        """
        states = [
            c.state
            for c in self._receivers.values()
            if c.participant_identity == participant_identity and c.enabled
        ]
        failing = [s for s in states if s in _FAILING]
        if failing:
            return failing[0]
        if any(s in (EncryptionState.OK, EncryptionState.KEY_RATCHETED) for s in states):
            return EncryptionState.OK
        return EncryptionState.NEW

    # ----- for the room ------------------------------------------------------------------------

    @property
    def encryption_type(self) -> EncryptionType:
        """What our AddTrackRequests announce."""
        if not self._enabled or self.options is None:
            return EncryptionType.NONE
        return self.options.encryption_type

    def sender(self, identity: str, track_sid: str) -> FrameCryptor | None:
        """A new cryptor for a track we publish (None when encryption is off)."""
        provider = self._key_provider
        if provider is None or not self._enabled:
            return None
        cryptor = FrameCryptor(
            identity, track_sid, provider, sending=True, on_state=self._state_changed
        )
        self._senders = {**self._senders, track_sid: cryptor}
        return cryptor

    def add_receiver(self, identity: str, track_sid: str, *, encrypted: bool) -> FrameCryptor:
        """The cryptor for a remote track; frames of a track sent in clear pass untouched."""
        assert self._key_provider is not None
        cryptor = FrameCryptor(
            identity,
            track_sid,
            self._key_provider,
            sending=False,
            enabled=encrypted,
            sif_trailer=self.sif_trailer,
            on_state=self._state_changed,
        )
        self._receivers = {**self._receivers, track_sid: cryptor}
        return cryptor

    def receiver_for(self, track_sid: str | None) -> FrameCryptor | UnknownTrack:
        """The cryptor for a frame of ``track_sid`` (called from decoder threads)."""
        cryptor = self._receivers.get(track_sid) if track_sid else None
        return self.unknown if cryptor is None else cryptor

    def remove(self, track_sid: str) -> None:
        if track_sid in self._receivers:
            self._receivers = {s: c for s, c in self._receivers.items() if s != track_sid}
        if track_sid in self._senders:
            self._senders = {s: c for s, c in self._senders.items() if s != track_sid}

    def keep_senders(self, track_sids: set[str]) -> None:
        """Forget the cryptors of tracks no longer published (after a full rejoin)."""
        self._senders = {s: c for s, c in self._senders.items() if s in track_sids}

    def set_sif_trailer(self, trailer: bytes) -> None:
        self.sif_trailer = trailer
        for cryptor in self._receivers.values():
            cryptor.sif_trailer = trailer

    def _state_changed(self, cryptor: FrameCryptor, state: EncryptionState) -> None:
        listener = self.on_state
        if listener is not None:
            listener(cryptor, state)

    def __repr__(self) -> str:
        return (
            f"E2EEManager(enabled={self._enabled}, senders={len(self._senders)}, "
            f"receivers={len(self._receivers)})"
        )

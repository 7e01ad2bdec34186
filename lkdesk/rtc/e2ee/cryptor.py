"""``FrameCryptor``: one track's frame encryption (sending) or decryption (receiving).

Called per frame by the aiortc hooks (engine/adapt/frame_crypto.py) in the thread where
aiortc encodes or decodes: the sender's encoder runs in the event loop's default executor,
each receiver's decoder in its own ``*-decoder`` thread. So nothing here touches the loop;
a state change is handed over through ``on_state`` (the manager posts it to the loop).

Decryption follows livekit-client's ``FrameCryptor.decodeFunction``: empty frames and the
server's injected frames pass, the key index comes from the trailer, a key marked invalid
(failure tolerance) drops the frame, and a frame that fails authentication is retried with
the key ratcheted forward up to ``ratchet_window_size`` times; a ratcheted key that works
replaces the old one. Every dropped frame is counted by reason and never raises.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag

from lkdesk.rtc.e2ee import frames
from lkdesk.rtc.e2ee.frames import Drop, FrameDropped
from lkdesk.rtc.e2ee.key_provider import KeyProvider
from lkdesk.rtc.e2ee.keys import KeySet, ParticipantKeys
from lkdesk.rtc.e2ee.options import EncryptionState

logger = logging.getLogger(__name__)

StateListener = Callable[["FrameCryptor", EncryptionState], None]


@dataclass
class CryptorStats:
    """What a cryptor did; ``dropped`` counts frames by :class:`Drop` reason."""

    encrypted: int = 0
    decrypted: int = 0
    passed: int = 0  # empty, server-injected, or encryption off
    ratchets: int = 0
    dropped: Counter[Drop] = field(default_factory=Counter)
    key_indexes: Counter[int] = field(default_factory=Counter)  # frames per key index

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


class FrameCryptor:
    """Encrypts one local track or decrypts one remote track (``livekit.rtc.FrameCryptor``).

    A sender uses its key ring's current index until :meth:`set_key_index` pins one.
    """

    def __init__(
        self,
        participant_identity: str,
        track_sid: str,
        provider: KeyProvider,
        *,
        sending: bool,
        enabled: bool = True,
        sif_trailer: bytes = b"",
        on_state: StateListener | None = None,
    ) -> None:
        self._identity = participant_identity
        self._track_sid = track_sid
        self._provider = provider
        self.sending = sending
        self._enabled = enabled
        self._pinned_index: int | None = None
        self.sif_trailer = sif_trailer
        self._on_state = on_state
        self.state = EncryptionState.NEW
        self.stats = CryptorStats()

    # ----- the SDK's API ---------------------------------------------------------------------

    @property
    def participant_identity(self) -> str:
        return self._identity

    @property
    def track_sid(self) -> str:
        return self._track_sid

    @property
    def key_index(self) -> int:
        if self._pinned_index is not None:
            return self._pinned_index
        return self._keys().current_index

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        """Sending: encrypt or send in clear. Receiving: expect encrypted frames or not."""
        self._enabled = enabled

    def set_key_index(self, key_index: int) -> None:
        """Encrypt with ``key_index`` from now on (receivers follow each frame's own index)."""
        if not 0 <= key_index < self._keys().ring_size:
            raise ValueError(f"key index {key_index} is outside the key ring")
        self._pinned_index = key_index

    # ----- frames ----------------------------------------------------------------------------

    def encrypt(self, codec: str, frame: bytes) -> bytes | None:
        """The frame to send, or None to send nothing (no key yet)."""
        if not frame or not self._enabled:
            self.stats.passed += 1
            return frame
        index = self.key_index
        key = self._keys().key_set(index)
        if key is None:
            self._drop(Drop.NO_KEY_TO_SEND, EncryptionState.MISSING_KEY)
            return None
        try:
            sealed = frames.encrypt(codec, frame, key.aead, index)
        except (ValueError, OverflowError):
            logger.warning("could not encrypt a %s frame of %d bytes", codec, len(frame))
            self._set_state(EncryptionState.ENCRYPTION_FAILED)
            return None
        self.stats.encrypted += 1
        self.stats.key_indexes[index] += 1
        self._set_state(EncryptionState.OK)
        return sealed

    def decrypt(self, codec: str, frame: bytes) -> bytes | None:
        """The clear frame, or None when it is dropped (counted in :attr:`stats`)."""
        if not frame or not self._enabled:
            self.stats.passed += 1
            return frame
        injected = frames.server_injected(frame, self.sif_trailer)
        if injected is not None:
            if frames.known_sif_payload(injected):
                self.stats.passed += 1
                return injected
            self._drop(Drop.BAD_SIF, None)
            return None
        try:
            return self._decrypt(codec, frames.parse(codec, frame))
        except FrameDropped as dropped:
            state = (
                EncryptionState.MISSING_KEY
                if dropped.reason in (Drop.MISSING_KEY, Drop.KEY_OUT_OF_RANGE)
                else EncryptionState.DECRYPTION_FAILED
            )
            self._drop(dropped.reason, None if dropped.reason is Drop.INVALID_KEY else state)
            return None

    def _decrypt(self, codec: str, sealed: frames.Sealed) -> bytes:
        keys = self._keys()
        index = sealed.key_index
        if index >= keys.ring_size:
            raise FrameDropped(Drop.KEY_OUT_OF_RANGE)
        if keys.has_invalid_key(index):
            raise FrameDropped(Drop.INVALID_KEY)
        base = keys.key_set(index)
        if base is None:
            keys.decryption_failed(index)
            raise FrameDropped(Drop.MISSING_KEY)
        try:
            clear = frames.open_with(sealed, base.aead)
        except InvalidTag:
            clear = self._ratchet(keys, index, base, sealed)
        keys.decryption_succeeded(index)
        self.stats.decrypted += 1
        self.stats.key_indexes[index] += 1
        self._set_state(EncryptionState.OK)
        return clear

    def _ratchet(
        self, keys: ParticipantKeys, index: int, base: KeySet, sealed: frames.Sealed
    ) -> bytes:
        """Try the ratcheted successors of ``base``; adopt the first that works."""
        for step in range(1, keys.options.ratchet_window_size + 1):
            candidate = keys.ratchet_step(index, base, step)
            if candidate is None:
                break  # another key arrived meanwhile: the next frame tries that one
            try:
                clear = frames.open_with(sealed, candidate.aead)
            except InvalidTag:
                continue
            if keys.adopt(index, base, candidate):
                self.stats.ratchets += 1
                self._set_state(EncryptionState.KEY_RATCHETED)
            return clear
        if keys.has_valid_key:
            keys.decryption_failed(index)
        raise FrameDropped(Drop.FAILED_TAG)

    # ----- bookkeeping -------------------------------------------------------------------------

    def _keys(self) -> ParticipantKeys:
        return self._provider.keys_of(self._identity)

    def _drop(self, reason: Drop, state: EncryptionState | None) -> None:
        self.stats.dropped[reason] += 1
        if state is not None:
            self._set_state(state)

    def _set_state(self, state: EncryptionState) -> None:
        if state is self.state:
            return
        self.state = state
        if self._on_state is not None:
            self._on_state(self, state)

    def __repr__(self) -> str:
        role = "sender" if self.sending else "receiver"
        return f"FrameCryptor({role}, {self._identity!r}, {self._track_sid!r}, {self.state.name})"

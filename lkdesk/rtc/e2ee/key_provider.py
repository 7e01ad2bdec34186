"""``KeyProvider``: the room's keys, with the official Python SDK's methods.

A shared key (LiveKit Meet's passphrase) serves every participant; a participant given a
key of its own with :meth:`KeyProvider.set_key` uses that one instead. Exported and
ratcheted keys are returned as their material (the passphrase bytes, or the 32 bytes a
ratchet produced), as the SDK does. Setting a key never derives it on the caller's thread:
:meth:`KeyProvider.prepare` does that, and the manager runs it in a worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from lkdesk.rtc.e2ee.keys import KeySet, ParticipantKeys
from lkdesk.rtc.e2ee.options import KeyProviderOptions, key_bytes

SHARED = ""  # the identity of the shared key ring


class KeyProvider:
    """Keys by participant identity (``livekit.rtc.KeyProvider``)."""

    def __init__(self, options: KeyProviderOptions) -> None:
        self._options = options
        self._shared = ParticipantKeys(SHARED, options)
        self._own: dict[str, ParticipantKeys] = {}
        self._lock = threading.Lock()
        self._has_shared = False
        self.key_set_listeners: list[Callable[[str, int], None]] = []
        if options.shared_key is not None:
            self.set_shared_key(options.shared_key, 0)

    @property
    def options(self) -> KeyProviderOptions:
        return self._options

    @property
    def has_shared_key(self) -> bool:
        return self._has_shared

    # ----- the SDK's methods -----------------------------------------------------------------

    def set_shared_key(self, key: bytes | str, key_index: int) -> None:
        """Use ``key`` for everyone at ``key_index`` (which becomes the current index)."""
        self._shared.set_material(key_bytes(key), key_index)
        self._has_shared = True
        self._announce(SHARED, key_index)

    def export_shared_key(self, key_index: int) -> bytes:
        return self._material(self._shared, key_index)

    def ratchet_shared_key(self, key_index: int) -> bytes:
        """Ratchet the shared key at ``key_index``; the new material (send it to others)."""
        material = self._shared.ratchet(key_index)
        self._announce(SHARED, key_index)
        return material

    def set_key(self, participant_identity: str, key: bytes | str, key_index: int) -> None:
        """Give ``participant_identity`` a key of its own at ``key_index``."""
        self.keys_of(participant_identity, create=True).set_material(key_bytes(key), key_index)
        self._announce(participant_identity, key_index)

    def export_key(self, participant_identity: str, key_index: int) -> bytes:
        return self._material(self.keys_of(participant_identity), key_index)

    def ratchet_key(self, participant_identity: str, key_index: int) -> bytes:
        material = self.keys_of(participant_identity).ratchet(key_index)
        self._announce(participant_identity, key_index)
        return material

    # ----- for the cryptors ----------------------------------------------------------------

    def keys_of(self, identity: str, *, create: bool = False) -> ParticipantKeys:
        """The key ring frames of ``identity`` use: its own, else the shared one."""
        own = self._own.get(identity)
        if own is not None:
            return own
        if not create:
            return self._shared
        with self._lock:
            return self._own.setdefault(identity, ParticipantKeys(identity, self._options))

    def pending(self) -> list[KeySet]:
        """Keys whose AES key is not derived yet."""
        rings = [self._shared, *list(self._own.values())]
        return [
            key
            for ring in rings
            for index in range(ring.ring_size)
            if (key := ring.key_set(index)) is not None and not key.ready
        ]

    def prepare(self) -> None:
        """Derive every pending key now (slow: call it in a worker thread)."""
        for key in self.pending():
            _ = key.aead

    def _announce(self, identity: str, key_index: int) -> None:
        for listener in list(self.key_set_listeners):
            listener(identity, key_index)

    @staticmethod
    def _material(ring: ParticipantKeys, key_index: int) -> bytes:
        key = ring.key_set(key_index)
        if key is None:
            raise KeyError(f"no key at index {key_index}")
        return key.material

    def __repr__(self) -> str:
        return f"KeyProvider(shared={self._has_shared}, participants={len(self._own)})"

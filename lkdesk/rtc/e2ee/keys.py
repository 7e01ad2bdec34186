"""Keys: derivation from a passphrase or raw bytes, ratcheting, and one key ring.

The facts (livekit-client ``src/e2ee/utils.ts``, ``KeyProvider.ts``,
``worker/ParticipantKeyHandler.ts``; server-sdk-go ``encryption.go``):

* a passphrase (PBKDF2 material) gives the AES-GCM-128 key through PBKDF2-SHA256 with the
  ratchet salt ("LKFrameEncryptionKey") and 100 000 iterations;
* raw key bytes (HKDF material) give it through HKDF-SHA256, same salt, info = 128 zero
  bytes;
* ratcheting replaces the material with 256 bits from the same function applied to it.

PBKDF2 costs about 0.1 s, so a :class:`KeySet` derives its AES key once, on first use, in
whichever thread needs it (aiortc's encoder or decoder thread, or a worker thread the
manager starts right after a key is set) and never on the event loop's per-frame path.
Ratcheted successors of a key are cached per key-ring slot: a participant sending with a
key we cannot reach costs a window of AES attempts per frame, not a window of PBKDF2 runs.
Nothing here logs or prints key material.
"""

from __future__ import annotations

import threading

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from lkdesk.rtc.e2ee.options import KeyDerivationFunction, KeyProviderOptions

PBKDF2_ITERATIONS = 100_000
KEY_BYTES = 16  # AES-GCM-128, as every LiveKit SDK uses
RATCHET_BYTES = 32
HKDF_INFO = bytes(128)


def derive(material: bytes, salt: bytes, kdf: KeyDerivationFunction, length: int) -> bytes:
    """``length`` bytes from ``material`` with LiveKit's parameters for ``kdf``."""
    if kdf is KeyDerivationFunction.HKDF:
        return HKDF(hashes.SHA256(), length, salt, HKDF_INFO).derive(material)
    return PBKDF2HMAC(hashes.SHA256(), length, salt, PBKDF2_ITERATIONS).derive(material)


class KeySet:
    """One key-ring slot: the material (what ratchets) and the AES-GCM key derived from it."""

    __slots__ = ("_aead", "_lock", "kdf", "material", "salt")

    def __init__(self, material: bytes, kdf: KeyDerivationFunction, salt: bytes) -> None:
        self.material = material
        self.kdf = kdf
        self.salt = salt
        self._aead: AESGCM | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Whether the AES key is derived already (using it costs nothing more)."""
        return self._aead is not None

    @property
    def aead(self) -> AESGCM:
        """The AES-GCM cipher, derived on first use (about 0.1 s for PBKDF2)."""
        aead = self._aead
        if aead is None:
            with self._lock:
                if self._aead is None:
                    key = derive(self.material, self.salt, self.kdf, KEY_BYTES)
                    self._aead = AESGCM(key)
                aead = self._aead
        return aead

    def ratcheted(self) -> KeySet:
        """The next key of the chain (its AES key is derived when first used)."""
        return KeySet(
            derive(self.material, self.salt, self.kdf, RATCHET_BYTES), self.kdf, self.salt
        )

    def __repr__(self) -> str:
        return f"KeySet(kdf={self.kdf.name}, ready={self.ready})"


class ParticipantKeys:
    """One participant's key ring, or the shared one (livekit-client's ParticipantKeyHandler).

    ``current_index`` is the key new frames are encrypted with; received frames name
    theirs. A key whose failures exceed ``failure_tolerance`` is invalid until a new key or
    a success resets it. Safe to use from several threads.
    """

    def __init__(self, identity: str, options: KeyProviderOptions) -> None:
        self.identity = identity
        self.options = options
        size = options.key_ring_size
        self._ring: list[KeySet | None] = [None] * size
        self._failures = [0] * size
        self._current = 0
        self._lock = threading.Lock()
        self._ratchet_lock = threading.Lock()
        self._chains: dict[int, tuple[KeySet, list[KeySet]]] = {}

    @property
    def ring_size(self) -> int:
        return len(self._ring)

    @property
    def current_index(self) -> int:
        return self._current

    def set_material(self, material: bytes, index: int = 0, *, make_current: bool = True) -> KeySet:
        """Put a new key (from passphrase or key bytes) at ``index``; make it current."""
        key_set = KeySet(material, self.options.key_derivation_function, self.options.ratchet_salt)
        with self._lock:
            slot = index % len(self._ring)
            self._ring[slot] = key_set
            self._chains.pop(slot, None)
            if make_current:
                self._current = slot
                self._failures[slot] = 0
        return key_set

    def key_set(self, index: int | None = None) -> KeySet | None:
        """The key at ``index`` (the current one by default); None when there is none."""
        slot = self._current if index is None else index
        if not 0 <= slot < len(self._ring):
            return None
        return self._ring[slot]

    def set_current_index(self, index: int) -> None:
        with self._lock:
            self._current = index % len(self._ring)
            self._failures[self._current] = 0

    # ----- validity --------------------------------------------------------------------------

    def has_invalid_key(self, index: int) -> bool:
        tolerance = self.options.failure_tolerance
        return 0 <= tolerance < self._failures[index % len(self._ring)]

    @property
    def has_valid_key(self) -> bool:
        return not self.has_invalid_key(self._current)

    def decryption_failed(self, index: int) -> None:
        if self.options.failure_tolerance >= 0:
            with self._lock:
                self._failures[index % len(self._ring)] += 1

    def decryption_succeeded(self, index: int) -> None:
        self._failures[index % len(self._ring)] = 0

    # ----- ratcheting ----------------------------------------------------------------------

    def ratchet(self, index: int | None = None) -> bytes:
        """Ratchet the key at ``index`` (current by default) now; return the new material."""
        slot = self._current if index is None else index % len(self._ring)
        base = self.key_set(slot)
        if base is None:
            raise KeyError(f"no key at index {slot} to ratchet")
        successor = base.ratcheted()
        with self._lock:
            self._ring[slot] = successor
            self._chains.pop(slot, None)
            self._failures[slot] = 0
        return successor.material

    def ratchet_step(self, index: int, base: KeySet, step: int) -> KeySet | None:
        """The ``step``-th (1-based) ratcheted successor of ``base`` at ``index``; cached.

        None when ``base`` is no longer the key at ``index`` (a new key arrived meanwhile).
        """
        with self._ratchet_lock:
            if self.key_set(index) is not base:
                return None
            cached_base, chain = self._chains.get(index, (base, []))
            if cached_base is not base:
                chain = []
            while len(chain) < step:
                chain.append((chain[-1] if chain else base).ratcheted())
            self._chains[index] = (base, chain)
            return chain[step - 1]

    def cached_successors(self, index: int, base: KeySet) -> list[KeySet]:
        """The ratcheted successors of ``base`` computed so far (none derived here)."""
        cached_base, chain = self._chains.get(index, (None, []))
        return list(chain) if cached_base is base else []

    def adopt(self, index: int, base: KeySet, successor: KeySet) -> bool:
        """A ratcheted key decrypted a frame: it replaces ``base`` if that is still in place."""
        with self._lock:
            if self._ring[index] is not base:
                return False
            self._ring[index] = successor
            _base, chain = self._chains.get(index, (base, []))
            position = next((i for i, k in enumerate(chain) if k is successor), -1)
            self._chains[index] = (successor, chain[position + 1 :])
            self._current = index
            self._failures[index] = 0
        return True

    def __repr__(self) -> str:
        filled = sum(k is not None for k in self._ring)
        return f"ParticipantKeys({self.identity!r}, keys={filled}, current={self._current})"

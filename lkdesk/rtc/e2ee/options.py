"""End-to-end encryption settings and states, with the official Python SDK's names.

The numbers are LiveKit's: ``EncryptionType`` matches ``livekit_models.proto``'s
``Encryption.Type`` (sent in ``AddTrackRequest.encryption`` and read from ``TrackInfo``),
``KeyDerivationFunction`` and ``EncryptionState`` match the SDK's ``e2ee.proto``. The
defaults are the SDK's (python-sdks ``livekit/rtc/e2ee.py``); LiveKit Meet's passphrase
rooms behave like :func:`passphrase_options` (no ratcheting, never give up on a key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from lkdesk.core.errors import LkdeskError

DEFAULT_RATCHET_SALT = b"LKFrameEncryptionKey"
DEFAULT_RATCHET_WINDOW_SIZE = 16
DEFAULT_FAILURE_TOLERANCE = -1
DEFAULT_KEY_RING_SIZE = 16


class EncryptionType(IntEnum):
    """How a track's frames are encrypted (``Encryption.Type``)."""

    NONE = 0
    GCM = 1
    CUSTOM = 2


class KeyDerivationFunction(IntEnum):
    """How a shared secret becomes an AES key: PBKDF2 for passphrases, HKDF for raw bytes."""

    PBKDF2 = 0
    HKDF = 1


class EncryptionState(IntEnum):
    """A frame cryptor's state, reported with ``e2ee_state_changed``."""

    NEW = 0
    OK = 1
    ENCRYPTION_FAILED = 2
    DECRYPTION_FAILED = 3
    MISSING_KEY = 4
    KEY_RATCHETED = 5
    INTERNAL_ERROR = 6


class EncryptionKeyError(LkdeskError, ValueError):
    """A key or passphrase that cannot be used (empty, or only white space)."""


@dataclass
class KeyProviderOptions:
    """Key handling (``livekit.rtc.KeyProviderOptions``).

    ``shared_key`` is the room's passphrase or key bytes (a ``str`` is taken as UTF-8, as
    livekit-client's ``setKey(string)`` does). ``ratchet_window_size`` is how many times a
    key is ratcheted forward when a frame fails to decrypt (0: never);
    ``failure_tolerance`` how many failures mark a key invalid (-1: never);
    ``key_ring_size`` how many key indexes exist (1..256).
    """

    shared_key: bytes | str | None = None
    ratchet_salt: bytes = DEFAULT_RATCHET_SALT
    ratchet_window_size: int = DEFAULT_RATCHET_WINDOW_SIZE
    failure_tolerance: int = DEFAULT_FAILURE_TOLERANCE
    key_ring_size: int = DEFAULT_KEY_RING_SIZE
    key_derivation_function: KeyDerivationFunction = KeyDerivationFunction.PBKDF2

    def __post_init__(self) -> None:
        if not 1 <= self.key_ring_size <= 256:
            raise ValueError("key_ring_size must be between 1 and 256")
        if self.ratchet_window_size < 0:
            raise ValueError("ratchet_window_size must not be negative")
        if not self.ratchet_salt:
            raise ValueError("ratchet_salt must not be empty")

    def __repr__(self) -> str:  # never show the key
        return (
            f"KeyProviderOptions(shared_key={'<set>' if self.shared_key else None}, "
            f"ratchet_window_size={self.ratchet_window_size}, "
            f"failure_tolerance={self.failure_tolerance}, key_ring_size={self.key_ring_size}, "
            f"key_derivation_function={self.key_derivation_function.name})"
        )


@dataclass
class E2EEOptions:
    """``RoomOptions(encryption=E2EEOptions(...))`` turns end-to-end encryption on."""

    key_provider_options: KeyProviderOptions = field(default_factory=KeyProviderOptions)
    encryption_type: EncryptionType = EncryptionType.GCM


def passphrase_options(passphrase: str) -> E2EEOptions:
    """Options for a LiveKit Meet passphrase room (``ExternalE2EEKeyProvider``'s behaviour).

    Meet never ratchets a shared key and never marks it invalid: a participant with another
    passphrase must not make everyone else's key worthless.
    """
    return E2EEOptions(
        KeyProviderOptions(
            shared_key=check_passphrase(passphrase),
            ratchet_window_size=0,
            failure_tolerance=-1,
        )
    )


def check_passphrase(passphrase: str) -> str:
    """``passphrase`` as given, or :class:`EncryptionKeyError` when it is empty or blank."""
    if not passphrase or not passphrase.strip():
        raise EncryptionKeyError(
            "Enter the room's passphrase: an empty passphrase cannot encrypt anything."
        )
    return passphrase


def key_bytes(key: bytes | str) -> bytes:
    """A key as bytes (UTF-8 for a passphrase); :class:`EncryptionKeyError` when unusable."""
    if isinstance(key, str):
        return check_passphrase(key).encode()
    if not key:
        raise EncryptionKeyError("An encryption key must not be empty.")
    return bytes(key)

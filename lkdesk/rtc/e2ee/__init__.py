"""LiveKit end-to-end encryption (frame encryption and encrypted data packets), no aiortc.

Public names as in the official SDK: ``E2EEOptions``, ``KeyProviderOptions``,
``KeyProvider``, ``E2EEManager``, ``FrameCryptor``, ``EncryptionType``, ``EncryptionState``,
``KeyDerivationFunction``. The aiortc side (where frames are encrypted and decrypted) is
``lkdesk.rtc.engine.adapt.frame_crypto``.
"""

from lkdesk.rtc.e2ee.cryptor import CryptorStats, FrameCryptor
from lkdesk.rtc.e2ee.frames import Drop
from lkdesk.rtc.e2ee.key_provider import KeyProvider
from lkdesk.rtc.e2ee.manager import E2EEManager
from lkdesk.rtc.e2ee.options import (
    E2EEOptions,
    EncryptionKeyError,
    EncryptionState,
    EncryptionType,
    KeyDerivationFunction,
    KeyProviderOptions,
    check_passphrase,
    passphrase_options,
)

__all__ = [
    "CryptorStats",
    "Drop",
    "E2EEManager",
    "E2EEOptions",
    "EncryptionKeyError",
    "EncryptionState",
    "EncryptionType",
    "FrameCryptor",
    "KeyDerivationFunction",
    "KeyProvider",
    "KeyProviderOptions",
    "check_passphrase",
    "passphrase_options",
]

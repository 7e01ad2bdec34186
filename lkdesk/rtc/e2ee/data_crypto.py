"""Encrypted data packets (livekit-client 2.15.8+: ``worker/DataCryptor.ts``, RTCEngine).

In an encrypted room every data packet a participant writes (user data, chat, RPC, data
stream headers, chunks and trailers) travels as ``DataPacket.encrypted_packet``: the
packet's value serialized as an ``EncryptedPacketPayload``, AES-GCM-encrypted with the
sender's current key and a random 12-byte IV (no additional data), with the IV and key
index beside it. What the server itself writes (speakers, transcriptions, metrics, SIP
DTMF) stays in clear. Received packets are decrypted with the sender's key ring (and the
ratcheted keys its frames found); a packet that cannot be decrypted is dropped and
counted. This runs on the event loop: AES-GCM on a packet of at most 64 kB takes
microseconds.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from google.protobuf.message import DecodeError
from livekit.protocol import models as proto_models

from lkdesk.rtc.e2ee.frames import IV_LENGTH, Drop
from lkdesk.rtc.e2ee.key_provider import KeyProvider
from lkdesk.rtc.e2ee.keys import KeySet, ParticipantKeys
from lkdesk.rtc.e2ee.options import EncryptionType

logger = logging.getLogger(__name__)

#: The DataPacket values an end-to-end encrypted room encrypts (EncryptedPacketPayload's).
ENCRYPTABLE = frozenset(
    f.name for f in proto_models.EncryptedPacketPayload.DESCRIPTOR.oneofs_by_name["value"].fields
)


class DataCrypto:
    """Seals outgoing and opens incoming data packets for one room."""

    def __init__(self, provider: KeyProvider, local_identity: Callable[[], str]) -> None:
        self._provider = provider
        self._local_identity = local_identity
        self.sealed = 0
        self.opened = 0
        self.dropped: Counter[Drop] = Counter()
        self.on_clear: Callable[[str], None] | None = None  # someone writes in clear

    def seal(self, packet: proto_models.DataPacket) -> None:
        """Replace ``packet``'s value by its encryption (in place); server kinds stay clear."""
        kind = packet.WhichOneof("value")
        if kind not in ENCRYPTABLE:
            return
        keys = self._provider.keys_of(self._local_identity())
        index = keys.current_index
        key = keys.key_set(index)
        if key is None:
            raise LookupError("no key to encrypt data with")
        payload = proto_models.EncryptedPacketPayload()
        getattr(payload, kind).CopyFrom(getattr(packet, kind))
        iv = os.urandom(IV_LENGTH)
        encrypted = key.aead.encrypt(iv, payload.SerializeToString(), None)
        packet.encrypted_packet.CopyFrom(
            proto_models.EncryptedPacket(
                encryption_type=EncryptionType.GCM.value,  # type: ignore[arg-type]
                iv=iv,
                key_index=index,
                encrypted_value=encrypted,
            )
        )
        self.sealed += 1

    def open(self, packet: proto_models.DataPacket) -> bool:
        """Decrypt an encrypted packet in place; False when it must be dropped."""
        kind = packet.WhichOneof("value")
        if kind != "encrypted_packet":
            if kind in ENCRYPTABLE and packet.participant_identity and self.on_clear:
                self.on_clear(packet.participant_identity)
            return True
        sealed = packet.encrypted_packet
        keys = self._provider.keys_of(packet.participant_identity)
        reason = self._try_open(packet, sealed, keys)
        if reason is None:
            self.opened += 1
            return True
        self.dropped[reason] += 1
        logger.debug("dropped an encrypted data packet from a participant: %s", reason.value)
        return False

    def _try_open(
        self,
        packet: proto_models.DataPacket,
        sealed: proto_models.EncryptedPacket,
        keys: ParticipantKeys,
    ) -> Drop | None:
        index = sealed.key_index
        if not 0 <= index < keys.ring_size:
            return Drop.KEY_OUT_OF_RANGE
        base = keys.key_set(index)
        if base is None:
            return Drop.MISSING_KEY
        if len(sealed.iv) != IV_LENGTH:
            return Drop.BAD_TRAILER
        clear = _decrypt(sealed, base)
        if clear is None:
            clear = _ratcheted(sealed, keys, index, base)
        if clear is None:
            return Drop.FAILED_TAG
        payload = proto_models.EncryptedPacketPayload()
        try:
            payload.ParseFromString(clear)
        except DecodeError:
            return Drop.TRUNCATED
        kind = payload.WhichOneof("value")
        if kind is None:
            return Drop.TRUNCATED
        getattr(packet, kind).CopyFrom(getattr(payload, kind))
        return None


def _decrypt(sealed: proto_models.EncryptedPacket, key: KeySet) -> bytes | None:
    try:
        return key.aead.decrypt(sealed.iv, sealed.encrypted_value, None)
    except InvalidTag:
        return None


def _ratcheted(
    sealed: proto_models.EncryptedPacket, keys: ParticipantKeys, index: int, base: KeySet
) -> bytes | None:
    """Try the ratcheted keys frames have derived already: deriving one (PBKDF2) here would
    stall the event loop, which runs this."""
    if keys.options.ratchet_window_size <= 0:
        return None
    for candidate in keys.cached_successors(index, base):
        clear = _decrypt(sealed, candidate)
        if clear is not None:
            keys.adopt(index, base, candidate)
            return clear
    return None

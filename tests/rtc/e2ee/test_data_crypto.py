"""Data packets in an encrypted room travel as EncryptedPacket, as livekit-client sends them."""

from __future__ import annotations

from livekit.protocol import models as proto_models

from lkdesk.rtc.e2ee import Drop, KeyDerivationFunction, KeyProvider, KeyProviderOptions
from lkdesk.rtc.e2ee.data_crypto import DataCrypto

HKDF = KeyDerivationFunction.HKDF


def _crypto(key: bytes = b"room key") -> DataCrypto:
    provider = KeyProvider(KeyProviderOptions(shared_key=key, key_derivation_function=HKDF))
    return DataCrypto(provider, lambda: "alice")


def _chat() -> proto_models.DataPacket:
    return proto_models.DataPacket(
        participant_identity="alice",
        destination_identities=["bob"],
        stream_header=proto_models.DataStream.Header(stream_id="s1", topic="lk.chat"),
    )


def test_sealed_packet_hides_its_value_and_opens_to_the_same_packet() -> None:
    sender, receiver = _crypto(), _crypto()
    packet = _chat()
    original = packet.SerializeToString()
    sender.seal(packet)
    assert packet.WhichOneof("value") == "encrypted_packet"
    assert b"lk.chat" not in packet.SerializeToString()
    assert list(packet.destination_identities) == ["bob"]  # routing stays readable
    sealed = packet.encrypted_packet
    assert len(sealed.iv) == 12 and sealed.key_index == 0 and sealed.encryption_type == 1
    assert receiver.open(packet)
    assert packet.SerializeToString() == original
    assert (sender.sealed, receiver.opened) == (1, 1)


def test_encrypted_value_is_an_encrypted_packet_payload_under_the_derived_key() -> None:
    crypto = _crypto()
    packet = proto_models.DataPacket(user=proto_models.UserPacket(payload=b"hi", topic="t"))
    crypto.seal(packet)
    key = (
        KeyProvider(KeyProviderOptions(shared_key=b"room key", key_derivation_function=HKDF))
        .keys_of("x")
        .key_set(0)
    )
    assert key is not None
    clear = key.aead.decrypt(
        packet.encrypted_packet.iv, packet.encrypted_packet.encrypted_value, None
    )
    payload = proto_models.EncryptedPacketPayload.FromString(clear)
    assert payload.user.payload == b"hi" and payload.user.topic == "t"


def test_packet_from_someone_with_another_key_is_dropped_and_counted() -> None:
    packet = _chat()
    _crypto(b"their key").seal(packet)
    receiver = _crypto()
    assert not receiver.open(packet)
    packet.encrypted_packet.key_index = 40
    assert not receiver.open(packet)
    assert receiver.dropped == {Drop.FAILED_TAG: 1, Drop.KEY_OUT_OF_RANGE: 1}


def test_server_packets_and_clear_packets_pass_untouched() -> None:
    crypto = _crypto()
    speaker = proto_models.DataPacket(speaker=proto_models.ActiveSpeakerUpdate())
    crypto.seal(speaker)
    assert speaker.WhichOneof("value") == "speaker"
    clear_chat = _chat()
    assert crypto.open(clear_chat) and clear_chat.WhichOneof("value") == "stream_header"

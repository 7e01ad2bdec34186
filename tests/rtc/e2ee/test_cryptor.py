"""A frame cryptor drops and counts every frame it cannot decrypt, ratchets like the SDK."""

from __future__ import annotations

import os

from lkdesk.rtc.e2ee import (
    Drop,
    EncryptionState,
    FrameCryptor,
    KeyDerivationFunction,
    KeyProvider,
    KeyProviderOptions,
)
from lkdesk.rtc.e2ee.manager import E2EEManager

HKDF = KeyDerivationFunction.HKDF
FRAME = bytes([0x11]) + os.urandom(500)  # a VP8 delta frame


def _provider(key: bytes = b"room key", **options: object) -> KeyProvider:
    return KeyProvider(
        KeyProviderOptions(shared_key=key, key_derivation_function=HKDF, **options)  # type: ignore[arg-type]
    )


def _pair(
    sender_key: bytes = b"room key", receiver_key: bytes = b"room key", **receive_options: object
) -> tuple[FrameCryptor, FrameCryptor, list[EncryptionState]]:
    states: list[EncryptionState] = []
    sender = FrameCryptor("alice", "TR_a", _provider(sender_key), sending=True)
    receiver = FrameCryptor(
        "alice",
        "TR_a",
        _provider(receiver_key, **receive_options),
        sending=False,
        on_state=lambda _c, s: states.append(s),
    )
    return sender, receiver, states


def test_frames_decrypt_only_with_the_same_key() -> None:
    sender, receiver, states = _pair()
    encrypted = sender.encrypt("VP8", FRAME)
    assert encrypted is not None and encrypted != FRAME
    assert receiver.decrypt("VP8", encrypted) == FRAME
    assert states == [EncryptionState.OK] and receiver.stats.decrypted == 1

    _sender, stranger, states = _pair(receiver_key=b"another key")
    assert stranger.decrypt("VP8", encrypted) is None
    assert stranger.stats.dropped == {Drop.FAILED_TAG: 1}
    assert states == [EncryptionState.DECRYPTION_FAILED]


def test_bad_frames_are_dropped_and_counted_never_raised() -> None:
    sender, receiver, states = _pair()
    good = sender.encrypt("VP8", FRAME)
    assert good is not None
    bad = {
        Drop.BAD_TRAILER: good[:-2] + bytes([7, 0]),
        Drop.KEY_OUT_OF_RANGE: good[:-1] + bytes([200]),
        Drop.MISSING_KEY: good[:-1] + bytes([5]),
        Drop.TRUNCATED: good[:20] + bytes([12, 0]),  # shorter than tag + IV + trailer
        Drop.FAILED_TAG: good[:-20] + bytes(6) + good[-14:],
    }
    for frame in bad.values():
        assert receiver.decrypt("VP8", frame) is None
    assert receiver.stats.dropped == dict.fromkeys(bad, 1)
    assert EncryptionState.MISSING_KEY in states and EncryptionState.DECRYPTION_FAILED in states
    assert receiver.decrypt("VP8", good) == FRAME  # the stream goes on
    assert states[-1] is EncryptionState.OK


def test_empty_frames_and_clear_tracks_pass_untouched() -> None:
    sender, receiver, _ = _pair()
    assert sender.encrypt("opus", b"") == b""
    assert receiver.decrypt("opus", b"") == b""
    receiver.set_enabled(False)  # the publisher announced no encryption
    assert receiver.decrypt("VP8", FRAME) == FRAME
    assert receiver.stats.passed == 2 and receiver.stats.dropped_total == 0


def test_server_injected_frame_passes_without_its_trailer() -> None:
    _sender, receiver, _ = _pair()
    receiver.sif_trailer = b"\x01sif\x02"
    silence = b"\xf8\xff\xfe" + bytes(77)
    assert receiver.decrypt("opus", silence + b"\x01sif\x02") == silence
    assert receiver.decrypt("opus", b"\xf8\x00junk\x01sif\x02") is None
    assert receiver.stats.dropped == {Drop.BAD_SIF: 1}


def test_sender_without_a_key_sends_nothing_and_says_missing_key() -> None:
    states: list[EncryptionState] = []
    provider = KeyProvider(KeyProviderOptions(key_derivation_function=HKDF))
    sender = FrameCryptor(
        "me", "TR_x", provider, sending=True, on_state=lambda _c, s: states.append(s)
    )
    assert sender.encrypt("VP8", FRAME) is None
    assert states == [EncryptionState.MISSING_KEY]
    provider.set_shared_key(b"now", 0)
    assert sender.encrypt("VP8", FRAME) is not None and states[-1] is EncryptionState.OK


def test_key_rotation_to_a_new_index_keeps_old_frames_decryptable() -> None:
    sender, receiver, _ = _pair()
    old = sender.encrypt("VP8", FRAME)
    for cryptor in (sender, receiver):
        cryptor._provider.set_shared_key(b"rotated", 1)
    sender.set_key_index(1)
    new = sender.encrypt("VP8", FRAME)
    assert old is not None and new is not None and new[-1] == 1
    assert receiver.decrypt("VP8", new) == FRAME and receiver.decrypt("VP8", old) == FRAME


def test_receiver_ratchets_forward_to_a_key_the_sender_ratcheted() -> None:
    sender, receiver, states = _pair(ratchet_window_size=4)
    sender._provider.ratchet_shared_key(0)
    sender._provider.ratchet_shared_key(0)
    encrypted = sender.encrypt("VP8", FRAME)
    assert encrypted is not None
    assert receiver.decrypt("VP8", encrypted) == FRAME
    assert EncryptionState.KEY_RATCHETED in states and receiver.stats.ratchets == 1
    # the ratcheted key replaced the old one: the next frame decrypts at once
    assert receiver._provider.export_shared_key(0) == sender._provider.export_shared_key(0)


def test_without_a_ratchet_window_a_ratcheted_sender_cannot_be_read() -> None:
    sender, receiver, _ = _pair(ratchet_window_size=0)
    sender._provider.ratchet_shared_key(0)
    assert receiver.decrypt("VP8", sender.encrypt("VP8", FRAME) or b"") is None


def test_failure_tolerance_marks_the_key_invalid_and_then_drops_quietly() -> None:
    sender, receiver, _ = _pair(sender_key=b"wrong", ratchet_window_size=0, failure_tolerance=1)
    frames = [sender.encrypt("VP8", FRAME) for _ in range(4)]
    assert [receiver.decrypt("VP8", f or b"") for f in frames] == [None] * 4
    assert receiver.stats.dropped == {Drop.FAILED_TAG: 2, Drop.INVALID_KEY: 2}


def test_manager_drops_frames_of_unknown_tracks_and_lists_its_cryptors() -> None:
    from lkdesk.rtc.e2ee import E2EEOptions

    manager = E2EEManager(E2EEOptions(KeyProviderOptions(shared_key=b"k")))
    assert manager.receiver_for("TR_unknown").decrypt("VP8", FRAME) is None
    assert manager.unknown.dropped == 1
    sent = manager.sender("me", "TR_mine")
    got = manager.add_receiver("bob", "TR_bob", encrypted=True)
    assert manager.frame_cryptors() == [sent, got]
    assert manager.receiver_for("TR_bob") is got
    assert manager.decryption_state("bob") is EncryptionState.NEW
    manager.set_enabled(False)
    assert sent is not None and not sent.enabled
    assert E2EEManager(None).sender("me", "TR_x") is None

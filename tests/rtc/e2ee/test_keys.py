"""Key derivation, key rings and ratcheting agree with livekit-client's WebCrypto values."""

from __future__ import annotations

import pytest

from lkdesk.rtc.e2ee import (
    E2EEOptions,
    EncryptionKeyError,
    KeyDerivationFunction,
    KeyProvider,
    KeyProviderOptions,
    passphrase_options,
)
from lkdesk.rtc.e2ee.keys import KEY_BYTES, KeySet, ParticipantKeys, derive
from tests.rtc.e2ee import vectors as v

SALT = b"LKFrameEncryptionKey"
PBKDF2 = KeyDerivationFunction.PBKDF2
HKDF = KeyDerivationFunction.HKDF


def test_passphrase_derives_the_same_key_as_livekit_client() -> None:
    assert derive(v.PASSPHRASE.encode(), SALT, PBKDF2, KEY_BYTES).hex() == v.PBKDF2_KEY


def test_raw_key_bytes_derive_the_same_key_as_livekit_client_with_hkdf() -> None:
    assert derive(v.RAW_KEY, SALT, HKDF, KEY_BYTES).hex() == v.HKDF_KEY
    assert KeySet(v.RAW_KEY, HKDF, SALT).ratcheted().material.hex() == v.HKDF_RATCHETED_MATERIAL


def test_ratcheting_a_passphrase_key_matches_livekit_client() -> None:
    ratcheted = KeySet(v.PASSPHRASE.encode(), PBKDF2, SALT).ratcheted()
    assert ratcheted.material.hex() == v.PBKDF2_RATCHETED_MATERIAL
    # the AES key is derived only when used, and then it is the ratcheted one
    assert not ratcheted.ready
    probe = ratcheted.aead.encrypt(bytes(12), b"x", None)
    expected = KeySet(bytes.fromhex(v.PBKDF2_RATCHETED_MATERIAL), PBKDF2, SALT)
    assert expected.aead.decrypt(bytes(12), probe, None) == b"x"
    assert derive(ratcheted.material, SALT, PBKDF2, KEY_BYTES).hex() == v.PBKDF2_RATCHETED_KEY


def test_key_reprs_never_show_material() -> None:
    options = KeyProviderOptions(shared_key="hunter2-passphrase")
    provider = KeyProvider(options)
    texts = [repr(options), repr(provider), repr(provider.keys_of("x")), repr(provider.pending())]
    assert not any("hunter2" in t for t in texts), texts


@pytest.mark.parametrize("bad", ["", "   ", "\t\n"])
def test_empty_or_blank_passphrase_is_refused_with_a_message(bad: str) -> None:
    with pytest.raises(EncryptionKeyError, match="passphrase"):
        passphrase_options(bad)
    with pytest.raises(EncryptionKeyError):
        KeyProvider(KeyProviderOptions()).set_shared_key(bad, 0)
    with pytest.raises(EncryptionKeyError):
        KeyProvider(KeyProviderOptions()).set_shared_key(b"", 0)


def test_meet_passphrase_options_never_ratchet_and_never_give_up() -> None:
    options = passphrase_options("correct horse")
    assert isinstance(options, E2EEOptions)
    assert options.key_provider_options.ratchet_window_size == 0
    assert options.key_provider_options.failure_tolerance == -1


def test_shared_key_serves_everyone_until_a_participant_gets_its_own() -> None:
    provider = KeyProvider(KeyProviderOptions(shared_key=b"shared", key_derivation_function=HKDF))
    assert provider.keys_of("alice") is provider.keys_of("bob")
    provider.set_key("alice", b"alice's own", 2)
    assert provider.keys_of("alice") is not provider.keys_of("bob")
    assert provider.keys_of("alice").current_index == 2
    assert provider.export_key("alice", 2) == b"alice's own"
    assert provider.export_shared_key(0) == b"shared"


def test_setting_a_key_at_an_index_makes_it_current_and_keeps_the_old_one() -> None:
    provider = KeyProvider(KeyProviderOptions(shared_key=b"one", key_derivation_function=HKDF))
    provider.set_shared_key(b"two", 3)
    ring = provider.keys_of("anyone")
    assert ring.current_index == 3
    first, second = ring.key_set(0), ring.key_set(3)
    assert first is not None and first.material == b"one"
    assert second is not None and second.material == b"two"
    assert ring.key_set(16) is None  # outside the ring


def test_ratchet_shared_key_returns_the_new_material_and_uses_it() -> None:
    provider = KeyProvider(KeyProviderOptions(shared_key=v.RAW_KEY, key_derivation_function=HKDF))
    new = provider.ratchet_shared_key(0)
    assert new.hex() == v.HKDF_RATCHETED_MATERIAL
    assert provider.export_shared_key(0) == new


def test_failures_beyond_the_tolerance_mark_a_key_invalid_until_it_works() -> None:
    ring = ParticipantKeys("p", KeyProviderOptions(failure_tolerance=2))
    ring.set_material(b"k", 0)
    for _ in range(3):
        assert not ring.has_invalid_key(0)
        ring.decryption_failed(0)
    assert ring.has_invalid_key(0) and not ring.has_valid_key
    ring.decryption_succeeded(0)
    assert ring.has_valid_key


def test_unlimited_tolerance_never_marks_a_key_invalid() -> None:
    ring = ParticipantKeys("p", KeyProviderOptions(failure_tolerance=-1))
    ring.set_material(b"k", 0)
    for _ in range(100):
        ring.decryption_failed(0)
    assert ring.has_valid_key


def test_ratchet_chain_is_cached_and_adopting_a_successor_shifts_it() -> None:
    ring = ParticipantKeys("p", KeyProviderOptions(key_derivation_function=HKDF))
    base = ring.set_material(v.RAW_KEY, 1)
    second = ring.ratchet_step(1, base, 2)
    assert second is not None
    assert ring.ratchet_step(1, base, 2) is second  # cached, not derived again
    first = ring.cached_successors(1, base)[0]
    assert first.material.hex() == v.HKDF_RATCHETED_MATERIAL
    assert ring.adopt(1, base, first)
    assert ring.key_set(1) is first and ring.cached_successors(1, first) == [second]
    assert not ring.adopt(1, base, second)  # base is gone
    assert ring.ratchet_step(1, base, 1) is None


@pytest.mark.parametrize("size", [0, 257])
def test_key_ring_size_outside_1_to_256_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="key_ring_size"):
        KeyProviderOptions(key_ring_size=size)

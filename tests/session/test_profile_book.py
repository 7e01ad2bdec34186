"""Saved servers: one entry per server and key, whatever spelling of the URL was used."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from lkdesk.auth import (
    ApiCredentials,
    AuthKind,
    Profile,
    ProfileStore,
    SessionSecretStore,
    TokenGrants,
    mint_token,
)
from lkdesk.session import ProfileBook, same_server

CREDS = ApiCredentials("APIbook", "a-book-secret-that-is-long-enough-for-hs256")


def token(identity: str, room: str = "standup") -> str:
    grants = TokenGrants(room=room, room_join=True)
    return mint_token(CREDS, identity=identity, grants=grants, ttl=timedelta(hours=1))


def test_same_server_treats_ws_and_http_and_default_ports_alike() -> None:
    assert same_server("ws://Host:7880/", "http://host:7880")
    assert same_server("wss://lk.example.com", "https://lk.example.com:443")
    assert not same_server("ws://host:7880", "ws://host:7881")
    assert not same_server("wss://a.example.com", "wss://b.example.com")


async def test_saving_the_same_server_and_key_again_updates_one_entry(tmp_path: Path) -> None:
    book = ProfileBook.session_only(tmp_path)
    first = await book.save_api_key("Dev", "ws://localhost:7880", "devkey", "secret")
    again = await book.save_api_key("Dev box", "http://localhost:7880/", "devkey", "secret2")
    other_key = await book.save_api_key("Dev (admin key)", "ws://localhost:7880", "admin", "s")
    profiles = await book.profiles()
    assert [p.label for p in profiles] == ["Dev box", "Dev (admin key)"]
    assert again.id == first.id != other_key.id


async def test_tokens_for_one_server_go_under_one_named_entry(tmp_path: Path) -> None:
    book = ProfileBook.session_only(tmp_path)
    await book.save_token("Team", "wss://lk.example.com", token("ana"))
    await book.save_token("Team server", "wss://lk.example.com/", token("ben", "design"))
    (profile,) = await book.profiles()
    assert profile.label == "Team server"
    assert {(t.identity, t.room) for t in profile.tokens} == {("ana", "standup"), ("ben", "design")}


async def test_duplicates_saved_earlier_are_merged_when_read(tmp_path: Path) -> None:
    store = ProfileStore(SessionSecretStore(), tmp_path)
    a = store.save_profile(Profile.new("A", "ws://host:7880", AuthKind.TOKENS))
    b = store.save_profile(Profile.new("B", "http://host:7880/", AuthKind.TOKENS))
    ben_token = token("ben")
    store.save_token(a.id, token("ana"))
    store.save_token(b.id, ben_token)
    book = ProfileBook(store, None, tmp_path)
    (merged,) = await book.profiles()
    assert merged.id == a.id
    assert {t.identity for t in merged.tokens} == {"ana", "ben"}
    assert store.get_token(a.id, "standup", "ben").token == ben_token


async def test_forget_everything_leaves_no_profile_and_no_file(tmp_path: Path) -> None:
    book = ProfileBook.session_only(tmp_path)
    await book.save_api_key("Dev", "ws://localhost:7880", "devkey", "secret")
    await book.save_token("Team", "wss://lk.example.com", token("ana"))
    await book.forget_everything()
    assert await book.profiles() == ()
    assert book.config_path is not None and not book.config_path.exists()


async def test_a_saved_api_key_is_found_for_a_link_to_its_server(tmp_path: Path) -> None:
    book = ProfileBook.session_only(tmp_path)
    saved = await book.save_api_key("Dev", "ws://localhost:7880", "devkey", "secret")
    found = await book.api_key_profile_for("http://localhost:7880/")
    assert found is not None and found.id == saved.id
    assert await book.api_key_profile_for("ws://elsewhere:7880") is None


async def test_passphrase_is_kept_with_a_server_only_when_asked_and_forgotten_with_it(
    tmp_path: Path,
) -> None:
    book = ProfileBook.session_only(tmp_path)
    profile = await book.save_api_key("Dev", "ws://localhost:7880", "devkey", "secret")
    assert await book.passphrase(profile.id) == ""
    await book.remember_passphrase(profile.id, "our room's passphrase")
    assert await book.passphrase(profile.id) == "our room's passphrase"
    assert "our room's passphrase" not in book.config_path.read_text()  # never in the file
    await book.remember_passphrase(profile.id, None)
    assert await book.passphrase(profile.id) == ""
    await book.remember_passphrase(profile.id, "again")
    await book.forget(profile.id)
    again = await book.save_api_key("Dev", "ws://localhost:7880", "devkey", "secret")
    assert await book.passphrase(again.id) == ""

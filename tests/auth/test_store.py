"""ProfileStore over a session-only secret store: config file handling and no leaks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lkdesk.auth import (
    AuthKind,
    ConfigFileError,
    InvalidProfileError,
    Profile,
    ProfileNotFoundError,
    ProfileStore,
    SecretNotFoundError,
    SessionSecretStore,
)
from lkdesk.auth.paths import default_config_dir
from lkdesk.auth.profiles import TokenRef
from tests.auth.conftest import SECRET, files_containing


@pytest.fixture
def store(config_dir: Path) -> ProfileStore:
    return ProfileStore(SessionSecretStore())


def _key_profile() -> Profile:
    return Profile.new("Cloud", "wss://demo.livekit.cloud", AuthKind.API_KEY, api_key="APIabc")


def test_config_dir_comes_from_env(store: ProfileStore, config_dir: Path) -> None:
    assert default_config_dir() == config_dir
    assert store.config_path == config_dir / "profiles.json"
    assert store.secrets_are_session_only


def test_save_list_rename_forget(store: ProfileStore, all_logs: pytest.LogCaptureFixture) -> None:
    p = store.save_profile(_key_profile(), api_secret=SECRET)
    assert store.list_profiles() == (p,)
    assert store.api_credentials(p.id).api_secret == SECRET
    renamed = store.rename_profile(p.id, "Cloud (prod)")
    assert store.get_profile(p.id).label == "Cloud (prod)" == renamed.label
    store.forget_profile(p.id)
    assert store.list_profiles() == ()
    with pytest.raises(ProfileNotFoundError):
        store.get_profile(p.id)
    assert SECRET not in all_logs.text


def test_config_file_holds_no_secret_or_token(
    store: ProfileStore, config_dir: Path, token: str, all_logs: pytest.LogCaptureFixture
) -> None:
    p = store.save_profile(_key_profile(), api_secret=SECRET)
    store.save_token(p.id, token)
    data = json.loads(store.config_path.read_text())
    assert data["profiles"][0]["tokens"] == [{"room": "standup", "identity": "ana"}]
    assert files_containing(config_dir, SECRET, token) == []
    assert SECRET not in all_logs.text and token not in all_logs.text
    assert oct(store.config_path.stat().st_mode & 0o777) == "0o600"


def test_tokens_are_saved_per_room_and_identity(store: ProfileStore, token: str) -> None:
    p = store.save_profile(Profile.new("Tok", "https://h.example", AuthKind.TOKENS))
    ref = store.save_token(p.id, token)
    assert ref == TokenRef("standup", "ana")
    assert store.get_token(p.id, "standup", "ana").token == token
    store.save_token(p.id, token, room="other/room:1", identity="ana")
    assert len(store.get_profile(p.id).tokens) == 2
    store.forget_token(p.id, "standup", "ana")
    assert store.get_profile(p.id).tokens == (TokenRef("other/room:1", "ana"),)
    with pytest.raises(SecretNotFoundError, match="session"):
        store.get_token(p.id, "standup", "ana")


def test_forget_profile_removes_its_secrets(store: ProfileStore, token: str) -> None:
    secrets = SessionSecretStore()
    store = ProfileStore(secrets, store.config_dir)
    p = store.save_profile(_key_profile(), api_secret=SECRET)
    store.save_token(p.id, token)
    store.forget_profile(p.id)
    assert secrets._values == {}


def test_resaving_keeps_secret_and_tokens(store: ProfileStore, token: str) -> None:
    p = store.save_profile(_key_profile(), api_secret=SECRET)
    store.save_token(p.id, token)
    store.save_profile(Profile(p.id, "New", "wss://other.example", AuthKind.API_KEY, "APIabc"))
    again = store.get_profile(p.id)
    assert again.server_url == "wss://other.example" and len(again.tokens) == 1
    assert store.api_credentials(p.id).api_secret == SECRET


def test_api_key_profile_without_secret_is_refused(store: ProfileStore) -> None:
    with pytest.raises(InvalidProfileError, match="API secret"):
        store.save_profile(_key_profile())
    with pytest.raises(InvalidProfileError, match="empty"):
        store.save_profile(_key_profile(), api_secret="")
    assert not store.config_path.exists()


def test_a_new_session_has_the_profile_but_not_the_secret(
    store: ProfileStore, config_dir: Path
) -> None:
    p = store.save_profile(_key_profile(), api_secret=SECRET)
    later = ProfileStore(SessionSecretStore(), config_dir)
    assert later.get_profile(p.id) == p
    with pytest.raises(SecretNotFoundError, match="enter it again") as caught:
        later.api_credentials(p.id)
    assert SECRET not in str(caught.value)


def test_damaged_config_file_is_reported(store: ProfileStore) -> None:
    store.config_dir.mkdir(parents=True)
    store.config_path.write_text("{not json")
    with pytest.raises(ConfigFileError, match="damaged"):
        store.list_profiles()

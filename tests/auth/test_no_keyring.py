"""No usable keyring: the documented error, the explicit session-only choice, no plaintext."""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest

from lkdesk.auth import (
    AuthKind,
    KeyringProblem,
    KeyringSecretStore,
    KeyringUnavailableError,
    Profile,
    ProfileStore,
    SessionSecretStore,
    open_keyring,
)
from tests.auth.conftest import SECRET, files_containing


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and XDG dirs inside tmp_path, so any stray file would be found by the scan."""
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    return tmp_path


def test_fail_backend_gives_the_documented_error_and_writes_nothing(
    home: Path,
    config_dir: Path,
    token: str,
    restore_keyring: None,
    all_logs: pytest.LogCaptureFixture,
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(KeyringUnavailableError) as caught:
        open_keyring()
    assert caught.value.problem is KeyringProblem.NO_BACKEND
    assert "session only" in str(caught.value) and "Secret Service" in str(caught.value)

    store = ProfileStore(KeyringSecretStore())
    profile = Profile.new("Dev", "http://localhost:7880", AuthKind.API_KEY, api_key="devkey")
    with pytest.raises(KeyringUnavailableError) as caught:
        store.save_profile(profile, api_secret=SECRET)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    assert store.list_profiles() == ()
    assert not store.config_path.exists()
    assert files_containing(home, SECRET) == []
    assert SECRET not in all_logs.text


def test_the_session_only_choice_works_and_is_visible(
    home: Path,
    config_dir: Path,
    token: str,
    restore_keyring: None,
    all_logs: pytest.LogCaptureFixture,
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(KeyringUnavailableError):
        open_keyring()
    store = ProfileStore(SessionSecretStore())  # the user's explicit choice
    assert store.secrets_are_session_only
    p = store.save_profile(
        Profile.new("Dev", "http://localhost:7880", AuthKind.API_KEY, api_key="devkey"),
        api_secret=SECRET,
    )
    store.save_token(p.id, token)
    assert store.api_credentials(p.id).api_secret == SECRET
    assert store.get_token(p.id, "standup", "ana").token == token
    assert files_containing(home, SECRET, token) == []
    assert SECRET not in all_logs.text and token not in all_logs.text
    assert ProfileStore(KeyringSecretStore()).secrets_are_session_only is False


def test_null_backend_is_refused_as_insecure(restore_keyring: None) -> None:
    keyring.set_keyring(keyring.backends.null.Keyring())
    with pytest.raises(KeyringUnavailableError) as caught:
        KeyringSecretStore().set("k", SECRET)
    assert caught.value.problem is KeyringProblem.INSECURE_BACKEND
    assert "discard" in str(caught.value)


class _RefusingBackend(keyring.backend.KeyringBackend):
    """A backend that fails like a real locked or refusing keyring does."""

    priority = 1

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "problem", "words"),
    [
        (
            keyring.errors.KeyringLocked("Failed to unlock the collection!"),
            KeyringProblem.LOCKED,
            "locked",
        ),
        (
            keyring.errors.InitError("Failed to create the collection"),
            KeyringProblem.UNUSABLE,
            "could not be opened",
        ),
        (keyring.errors.PasswordSetError("refused"), KeyringProblem.REFUSED, "refused"),
    ],
)
def test_locked_or_refusing_keyring_is_translated(
    error: Exception, problem: KeyringProblem, words: str
) -> None:
    store = KeyringSecretStore(backend=_RefusingBackend(error))
    with pytest.raises(KeyringUnavailableError, match=words) as caught:
        store.set("profile/x/api_secret", SECRET)
    assert caught.value.problem is problem
    assert SECRET not in str(caught.value)
    with pytest.raises(KeyringUnavailableError):
        store.check()

"""Profiles against a real Secret Service (gnome-keyring in a D-Bus session).

Runs only inside tests/sandbox/run-in-sandbox.sh (LKDESK_SANDBOX=1); skips elsewhere, and
fails under CI=true.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from lkdesk.auth import AuthKind, KeyringSecretStore, Profile, ProfileStore, open_keyring
from tests.auth.conftest import SECRET, files_containing, require_sandbox

READER = """
import hashlib, json, sys
from lkdesk.auth import KeyringSecretStore, ProfileStore, AuthError
service, profile_id = sys.argv[1], sys.argv[2]
store = ProfileStore(KeyringSecretStore(service))
out = {"labels": [p.label for p in store.list_profiles()]}
try:
    creds = store.api_credentials(profile_id)
    tok = store.get_token(profile_id, "standup", "ana").token
    out["secret_sha"] = hashlib.sha256(creds.api_secret.encode()).hexdigest()
    out["token_sha"] = hashlib.sha256(tok.encode()).hexdigest()
except AuthError as exc:
    out["error"] = type(exc).__name__
out["backend"] = store._secrets.backend_name
print(json.dumps(out))
"""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def keyring_store(config_dir: Path) -> Iterator[KeyringSecretStore]:
    """The default keyring (must be the Secret Service) under a test-only service name."""
    require_sandbox("the real Secret Service test")
    store = KeyringSecretStore(f"lkdesk-test-{uuid.uuid4().hex[:8]}")
    assert "SecretService" in store.backend_name, store.backend_name
    open_keyring(store.service)
    yield store


def _read_in_new_process(service: str, profile_id: str, config_dir: Path) -> dict[str, Any]:
    env = dict(os.environ, LKDESK_CONFIG_DIR=str(config_dir))
    done = subprocess.run(
        [sys.executable, "-c", READER, service, profile_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_profile_saved_here_is_read_by_a_new_process_then_deleted(
    keyring_store: KeyringSecretStore,
    config_dir: Path,
    token: str,
    all_logs: pytest.LogCaptureFixture,
) -> None:
    store = ProfileStore(keyring_store)
    p = store.save_profile(
        Profile.new("Dev server", "http://localhost:7880", AuthKind.API_KEY, api_key="devkey"),
        api_secret=SECRET,
    )
    store.save_token(p.id, token)

    seen = _read_in_new_process(keyring_store.service, p.id, config_dir)
    assert seen["labels"] == ["Dev server"]
    assert "SecretService" in seen["backend"]
    assert (seen.get("secret_sha"), seen.get("token_sha")) == (_sha(SECRET), _sha(token))
    assert keyring.get_password(keyring_store.service, f"profile/{p.id}/api_secret") == SECRET

    store.forget_profile(p.id)
    seen = _read_in_new_process(keyring_store.service, p.id, config_dir)
    assert seen == {"labels": [], "error": "ProfileNotFoundError", "backend": seen["backend"]}
    assert keyring.get_password(keyring_store.service, f"profile/{p.id}/api_secret") is None
    assert keyring.get_password(keyring_store.service, f"profile/{p.id}/token/standup/ana") is None

    assert files_containing(config_dir, SECRET, token) == []
    assert SECRET not in all_logs.text and token not in all_logs.text


def test_nothing_secret_reaches_config_or_logs_while_saved(
    keyring_store: KeyringSecretStore,
    config_dir: Path,
    token: str,
    all_logs: pytest.LogCaptureFixture,
) -> None:
    store = ProfileStore(keyring_store)
    p = store.save_profile(Profile.new("Tok", "wss://h.example", AuthKind.TOKENS))
    store.save_token(p.id, token, room="room with spaces/and:colons", identity="ana")
    assert store.get_token(p.id, "room with spaces/and:colons", "ana").token == token
    assert files_containing(config_dir, token) == []
    assert token not in all_logs.text
    store.forget_profile(p.id)

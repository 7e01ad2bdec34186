"""Shared fixtures for lkdesk.auth tests."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest

from lkdesk.auth import ApiCredentials, TokenGrants, mint_token

SECRET = "sekret-" + "Q" * 30
CREDS = ApiCredentials("APIlkdesktest", SECRET)


@pytest.fixture
def token() -> str:
    """A real signed token for room 'standup' and identity 'ana'."""
    return mint_token(CREDS, identity="ana", grants=TokenGrants(room="standup", room_join=True))


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config dir, also exported as LKDESK_CONFIG_DIR."""
    path = tmp_path / "config"
    monkeypatch.setenv("LKDESK_CONFIG_DIR", str(path))
    return path


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    """Put keyring's process-wide backend back after a test that replaces it."""
    saved = keyring.get_keyring()
    yield
    keyring.set_keyring(saved)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every log record (DEBUG and up) from every logger."""
    caplog.set_level(logging.DEBUG)
    return caplog


def files_containing(root: Path, *needles: str) -> list[Path]:
    """Files under ``root`` whose bytes contain any of ``needles``."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(n.encode() in data for n in needles):
                hits.append(path)
    return hits


def in_sandbox() -> bool:
    """True inside tests/sandbox/run-in-sandbox.sh (D-Bus session + unlocked gnome-keyring)."""
    return os.environ.get("LKDESK_SANDBOX") == "1"


def require_sandbox(what: str) -> None:
    """Skip outside the sandbox, but fail under CI=true where the sandbox is mandatory."""
    if in_sandbox():
        return
    reason = f"{what} needs the test sandbox (bash tests/sandbox/run-in-sandbox.sh ...)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: {reason}, but LKDESK_SANDBOX is not 1")
    pytest.skip(reason)

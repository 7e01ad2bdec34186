"""A real gnome-keyring that is locked, or has no default keyring → the documented error.

Each test runs a child process in its own nested D-Bus session with its own
gnome-keyring-daemon (so the sandbox's unlocked keyring is untouched), and checks that
nothing secret was written to the config directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.auth.conftest import SECRET, files_containing, require_sandbox

REPO = Path(__file__).resolve().parents[2]

# Starts a private gnome-keyring-daemon (optionally unlocked with a password), waits for it
# to own org.freedesktop.secrets, runs the Python child, and always stops the daemon.
SESSION = r"""
set -eu
if [ "$UNLOCK" = 1 ]; then
  printf 'nested-pass' | gnome-keyring-daemon --foreground --unlock --components=secrets \
    >/dev/null 2>&1 &
else
  gnome-keyring-daemon --foreground --components=secrets >/dev/null 2>&1 </dev/null &
fi
KP=$!
trap 'kill $KP 2>/dev/null; wait $KP 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
    | grep -q 'boolean true' && break
  sleep 0.1
done
"$PYTHON" -c "$CHILD" "$@"
"""

CHILD = r"""
import json, sys
from lkdesk.auth import AuthKind, KeyringSecretStore, KeyringUnavailableError, Profile, ProfileStore
lock_first = sys.argv[1] == "lock"
store = ProfileStore(KeyringSecretStore("lkdesk-locked-test"))
out = {}
if lock_first:
    import secretstorage
    store._secrets.set("probe", "x")  # the keyring works while unlocked
    conn = secretstorage.dbus_init()
    secretstorage.get_default_collection(conn).lock()
profile = Profile.new("Dev", "http://localhost:7880", AuthKind.API_KEY, api_key="devkey")
try:
    store.save_profile(profile, api_secret=sys.argv[2])
    out["saved"] = True
except KeyringUnavailableError as exc:
    out["problem"] = exc.problem.value
    out["message"] = str(exc)
out["profiles"] = len(store.list_profiles())
print(json.dumps(out))
"""


def _run_nested(tmp_path: Path, *, unlock: bool, mode: str) -> dict[str, Any]:
    env = dict(
        os.environ,
        UNLOCK="1" if unlock else "0",
        PYTHON=sys.executable,
        CHILD=CHILD,
        XDG_DATA_HOME=str(tmp_path / "data"),
        LKDESK_CONFIG_DIR=str(tmp_path / "config"),
        HOME=str(tmp_path / "home"),
    )
    done = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", SESSION, "nested", mode, SECRET],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture
def sandbox() -> None:
    require_sandbox("the nested gnome-keyring test")


def test_locked_keyring_is_reported_and_nothing_is_written(sandbox: None, tmp_path: Path) -> None:
    out = _run_nested(tmp_path, unlock=True, mode="lock")
    assert out == {"problem": "locked", "message": out["message"], "profiles": 0}
    assert "locked" in out["message"] and "session only" in out["message"]
    assert SECRET not in out["message"]
    assert files_containing(tmp_path, SECRET) == []  # config dir, HOME and keyring files


def test_keyring_without_default_collection_is_reported(sandbox: None, tmp_path: Path) -> None:
    out = _run_nested(tmp_path, unlock=False, mode="plain")
    assert out["problem"] == "unusable" and out["profiles"] == 0
    assert "could not be opened" in out["message"]
    assert not (tmp_path / "config" / "profiles.json").exists()
    assert files_containing(tmp_path, SECRET) == []

"""Read and write ``profiles.json``: non-secret profile data only.

The file is written atomically (temp file + rename) with owner-only permissions.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from lkdesk.auth.errors import ConfigFileError
from lkdesk.auth.profiles import AuthKind, Profile, TokenRef

FILE_NAME = "profiles.json"
FORMAT_VERSION = 1


def load_profiles(path: Path) -> tuple[Profile, ...]:
    """Profiles stored at ``path``; none when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    except OSError as exc:
        raise ConfigFileError(
            f"Cannot read the profiles file {path} ({exc.strerror}); check its permissions."
        ) from exc
    try:
        data = json.loads(text)
        return tuple(_profile(item) for item in data["profiles"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigFileError(
            f"The profiles file {path} is damaged ({type(exc).__name__}); fix it or move it "
            "away to start with no profiles."
        ) from None


def save_profiles(path: Path, profiles: tuple[Profile, ...]) -> None:
    """Replace the file at ``path`` with ``profiles`` (atomic, mode 0600)."""
    data = {"version": FORMAT_VERSION, "profiles": [_record(p) for p in profiles]}
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".profiles-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
                handle.write("\n")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigFileError(
            f"Cannot write the profiles file {path} ({exc.strerror}); check that the "
            "directory is writable and the disk is not full."
        ) from exc


def _record(profile: Profile) -> dict[str, Any]:
    return {
        "id": profile.id,
        "label": profile.label,
        "server_url": profile.server_url,
        "auth_kind": profile.auth_kind.value,
        "api_key": profile.api_key,
        "tokens": [{"room": t.room, "identity": t.identity} for t in profile.tokens],
        "trusted_ca_pem": profile.trusted_ca_pem,
    }


def _profile(item: dict[str, Any]) -> Profile:
    tokens = tuple(TokenRef(str(t["room"]), str(t["identity"])) for t in item.get("tokens", []))
    return Profile(
        id=str(item["id"]),
        label=str(item["label"]),
        server_url=str(item["server_url"]),
        auth_kind=AuthKind(item["auth_kind"]),
        api_key=str(item.get("api_key", "")),
        tokens=tokens,
        trusted_ca_pem=str(item.get("trusted_ca_pem", "")),
    )

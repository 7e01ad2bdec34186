"""Where lkdesk keeps its per-user config (never secrets)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_CONFIG_DIR = "LKDESK_CONFIG_DIR"
APP_DIR_NAME = "lkdesk"


def default_config_dir() -> Path:
    """The per-user config directory: ``$LKDESK_CONFIG_DIR`` or the platform's convention.

    Linux and others: ``$XDG_CONFIG_HOME/lkdesk`` (``~/.config/lkdesk``); macOS:
    ``~/Library/Application Support/lkdesk``; Windows: ``%APPDATA%\\lkdesk``.
    """
    override = os.environ.get(ENV_CONFIG_DIR)
    if override:
        return Path(override)
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA")
        base = Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME")
        base = Path(xdg) if xdg else Path.home() / ".config"
    return base / APP_DIR_NAME

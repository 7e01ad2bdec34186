"""Where lkdesk logs, and how much: the platform's log directory, chatty libraries quiet.

Linux: ``$XDG_STATE_HOME/lkdesk/lkdesk.log`` (``~/.local/state/lkdesk``); macOS:
``~/Library/Logs/lkdesk``; Windows: ``%LOCALAPPDATA%\\lkdesk\\Logs``. ``$LKDESK_LOG_DIR``
overrides. No Qt here: the UI shows the folder it gets from :func:`log_dir`.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

ENV_LOG_DIR = "LKDESK_LOG_DIR"
LOG_FILE = "lkdesk.log"
# Libraries that log every ICE check or DTLS step at INFO; WARNING unless -v.
QUIET_LIBRARIES = ("aioice", "aiortc", "websockets", "aiohttp.access")


def log_dir() -> Path:
    """The directory of lkdesk's log file on this platform."""
    override = os.environ.get(ENV_LOG_DIR)
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / "lkdesk" / "Logs"
    if sys.platform == "darwin":
        return home / "Library" / "Logs" / "lkdesk"
    state = os.environ.get("XDG_STATE_HOME")
    return (Path(state) if state else home / ".local" / "state") / "lkdesk"


def log_path() -> Path:
    """The current log file."""
    return log_dir() / LOG_FILE


def setup_logging(verbose: bool) -> Path:
    """Log to stderr and to a rotating file the error messages can point to."""
    path = log_path()
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                path, maxBytes=2_000_000, backupCount=2, encoding="utf-8"
            )
        )
    except OSError:
        pass  # a read-only home must not stop the app; stderr still gets everything
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)
    return path

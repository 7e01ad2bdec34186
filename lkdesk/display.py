"""Is there a display to open a window on? Asked before Qt starts, which would abort.

Without a display Qt prints a long hint and dumps core; lkdesk says in one line what is
missing instead. On Linux lkdesk uses X11 (directly or through XWayland): screen sharing
and the window picker need it.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb")
X11_SOCKET_DIR = Path("/tmp/.X11-unix")


def display_problem(env: Mapping[str, str] | None = None) -> str | None:
    """Why no window can be opened, in one line; None when a display is usable."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0]
    if platform in HEADLESS_PLATFORMS:
        return None
    display = env.get("DISPLAY", "")
    wayland = env.get("WAYLAND_DISPLAY", "")
    if platform == "wayland":
        return (
            None if wayland else "no display: QT_QPA_PLATFORM=wayland but WAYLAND_DISPLAY is unset"
        )
    if not display:
        if wayland:
            return (
                "this Wayland session has no XWayland (DISPLAY is not set); lkdesk needs X11 "
                "through XWayland: enable XWayland or log in to an X11 session"
            )
        return (
            "no display: neither DISPLAY nor WAYLAND_DISPLAY is set; start lkdesk from a "
            "desktop session"
        )
    if not x11_reachable(display):
        return f"no display: cannot connect to the X server at DISPLAY={display}"
    return None


def x11_reachable(display: str, timeout: float = 2.0) -> bool:
    """Whether something listens at ``display`` (``:0``, ``host:1.0``, ``unix/:0``)."""
    host, _, rest = display.rpartition(":")
    number = rest.split(".", 1)[0]
    if not number.isdigit():
        return False
    if host in ("", "unix") or host.startswith("/"):
        if host.startswith("/"):  # macOS launchd-style socket path
            return Path(display).exists()
        return _connect_unix(str(X11_SOCKET_DIR / f"X{number}"), timeout) or _connect_unix(
            f"\0/tmp/.X11-unix/X{number}", timeout
        )
    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=timeout):
            return True
    except OSError:
        return False


def _connect_unix(path: str, timeout: float) -> bool:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError:
        return False
    finally:
        sock.close()
    return True

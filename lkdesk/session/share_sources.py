"""What can be shared (monitors and application windows), their thumbnails, their captures.

Source ids are ``screen:<monitor>`` and ``window:<x11 id>``. Listing and grabbing talk to
the display and may block, so they run off the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import cv2
import numpy as np

from lkdesk import media
from lkdesk.core.errors import LkdeskError
from lkdesk.session.errors import NotAvailableError
from lkdesk.session.model import Feature, ShareKind, ShareSource

SCREEN_FPS = 15.0
MAX_WIDTH = 1920


def screen_feature() -> Feature:
    """Whether the screen can be shared here, and why not."""
    if media.wayland_session():
        return Feature(False, media.WAYLAND_MESSAGE)
    try:
        monitors = [m for m in media.list_monitors() if m.index > 0]
    except (LkdeskError, OSError) as exc:
        return Feature(False, str(exc))
    return Feature(bool(monitors), "No screen was found to share.")


def system_audio_feature() -> Feature:
    problem = media.system_audio_problem()
    return Feature(problem is None, problem or "")


def _list() -> tuple[ShareSource, ...]:
    monitors = [m for m in media.list_monitors() if m.index > 0]
    sources = [
        ShareSource(
            f"screen:{m.index}",
            ShareKind.SCREEN,
            "Entire screen" if len(monitors) == 1 else f"Screen {m.index} ({m.name})",
            m.width,
            m.height,
        )
        for m in monitors
    ]
    try:
        windows = media.list_windows()
    except LkdeskError:
        windows = []  # monitors still work; the picker shows no window section
    sources += [
        ShareSource(f"window:{w.id:#x}", ShareKind.WINDOW, w.title, w.width, w.height)
        for w in reversed(windows)  # front-most first
    ]
    return tuple(sources)


async def list_share_sources() -> tuple[ShareSource, ...]:
    """Every monitor and application window (lkdesk's own windows left out)."""
    try:
        return await asyncio.to_thread(_list)
    except LkdeskError as exc:
        raise NotAvailableError(str(exc)) from exc


def parse_source(source_id: str) -> tuple[ShareKind, int]:
    kind, _, number = source_id.partition(":")
    try:
        return ShareKind(kind), int(number, 0)
    except ValueError:
        raise NotAvailableError(f"lkdesk cannot share '{source_id}'.") from None


def _thumbnail(source_id: str, width: int) -> Any:
    kind, number = parse_source(source_id)
    rgb = media.grab_monitor(number) if kind is ShareKind.SCREEN else media.grab_window(number)
    h, w = rgb.shape[:2]
    height = max(round(h * width / max(w, 1)), 1)
    return np.asarray(cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA))


async def thumbnail(source_id: str, width: int) -> Any:
    """A small picture of a source, or None when it cannot be read (e.g. window closed)."""
    try:
        return await asyncio.to_thread(_thumbnail, source_id, width)
    except (LkdeskError, OSError):
        return None


def capture_for(source_id: str) -> Any:
    """The capture object for a source id (default: the first monitor)."""
    if not source_id:
        return media.ScreenCapture(1, fps=SCREEN_FPS, max_width=MAX_WIDTH)
    if source_id.isdigit():
        return media.ScreenCapture(int(source_id), fps=SCREEN_FPS, max_width=MAX_WIDTH)
    kind, number = parse_source(source_id)
    if kind is ShareKind.SCREEN:
        return media.ScreenCapture(number, fps=SCREEN_FPS, max_width=MAX_WIDTH)
    return media.WindowCapture(number, fps=SCREEN_FPS, max_width=MAX_WIDTH)

"""Screen capture of one monitor with ``mss``, in a dedicated thread, paced to ``fps``.

On Linux this needs an X11 display (a real one, XWayland, or Xvfb); ``display`` picks one
(e.g. ``":1"``), otherwise ``$DISPLAY`` is used.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

import cv2
import mss
import numpy as np
from mss.exception import ScreenShotError

from lkdesk.media._video_thread import CaptureFormat, OpenedSource, RGBArray, ThreadedVideoCapture
from lkdesk.media.errors import BackendMissingError, DeviceFailedError, DeviceNotFoundError


@dataclass(frozen=True, slots=True)
class MonitorInfo:
    """A capturable area; index 0 is all monitors together, 1.. are single monitors."""

    index: int
    left: int
    top: int
    width: int
    height: int
    is_primary: bool
    name: str


def check_display(display: str | None) -> None:
    """Raise BackendMissingError naming why there is no X11 display to capture."""
    if not sys.platform.startswith("linux") or display or os.environ.get("DISPLAY"):
        return
    if os.environ.get("WAYLAND_DISPLAY"):
        raise BackendMissingError(WAYLAND_MESSAGE)
    raise BackendMissingError(
        "No display to capture: DISPLAY is not set (lkdesk runs without a graphical session). "
        "Start lkdesk from a desktop session to share the screen."
    )


WAYLAND_MESSAGE = (
    "On Wayland only the desktop's screen-sharing portal may capture the screen, and lkdesk "
    'does not use the portal yet. To share, log in to an X11 session ("GNOME on Xorg" or '
    "similar at the login screen)."
)


def wayland_session() -> bool:
    """True on a Wayland desktop (where X11 capture would see only XWayland windows)."""
    return sys.platform.startswith("linux") and (
        os.environ.get("XDG_SESSION_TYPE", "").lower() == "wayland"
        or bool(os.environ.get("WAYLAND_DISPLAY"))
    )


def scale_down(rgb: RGBArray, max_width: int | None) -> RGBArray:
    """``rgb`` scaled to at most ``max_width`` pixels wide (aspect kept)."""
    height, width = rgb.shape[:2]
    if max_width is None or width <= max_width:
        return rgb
    new_h = max(round(height * max_width / width), 1)
    return np.asarray(
        cv2.resize(rgb, (max_width, new_h), interpolation=cv2.INTER_AREA), dtype=np.uint8
    )


def grab_monitor(index: int, display: str | None = None) -> RGBArray:
    """One picture of monitor ``index`` (for the picker's thumbnails)."""
    with _connect(display) as sct:
        monitors = _monitors(sct)
        if not 0 <= index < len(monitors):
            raise DeviceNotFoundError(f"There is no monitor {index}. Choose another screen.")
        reader = _ScreenReader(sct, dict(monitors[index]), None)
        return reader.read()


def _connect(display: str | None) -> mss.MSS:
    check_display(display)
    try:
        if display and sys.platform.startswith("linux"):
            return mss.MSS(display=display)
        return mss.MSS()
    except ScreenShotError as exc:
        name = display or os.environ.get("DISPLAY", "")
        raise BackendMissingError(
            f"Cannot connect to the display {name!r} ({exc}). Check that it is running and "
            "that lkdesk may access it."
        ) from exc


def _monitors(sct: mss.MSS) -> list[dict[str, Any]]:
    try:
        return list(sct.monitors)
    except ScreenShotError as exc:
        raise BackendMissingError(f"Cannot list the monitors of this display ({exc}).") from exc


def list_monitors(display: str | None = None) -> list[MonitorInfo]:
    """The monitors of ``display`` (BackendMissingError when there is no display)."""
    with _connect(display) as sct:
        return [
            MonitorInfo(
                index=i,
                left=int(m["left"]),
                top=int(m["top"]),
                width=int(m["width"]),
                height=int(m["height"]),
                is_primary=bool(m.get("is_primary", False)),
                name=str(m.get("name") or m.get("output") or ("all" if i == 0 else f"{i}")),
            )
            for i, m in enumerate(_monitors(sct))
        ]


class _ScreenReader:
    """Grabs one monitor (thread-only: the mss connection belongs to this thread)."""

    def __init__(self, sct: mss.MSS, region: dict[str, Any], max_width: int | None) -> None:
        self._sct = sct
        self._region = region
        self._max_width = max_width

    def read(self) -> RGBArray:
        try:
            shot = self._sct.grab(self._region)
        except ScreenShotError as exc:
            raise DeviceFailedError(
                f"Screen capture stopped: the display is gone or refused ({exc})."
            ) from exc
        bgra = np.frombuffer(shot.raw, dtype=np.uint8).reshape(shot.height, shot.width, 4)
        rgb: RGBArray = np.asarray(cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGB), dtype=np.uint8)
        return scale_down(rgb, self._max_width)

    def close(self) -> None:
        self._sct.close()


class ScreenCapture(ThreadedVideoCapture):
    """Frames of monitor ``monitor`` (1 = first; 0 = all together) at ``fps``.

    ``max_width`` scales large screens down (keeping the aspect ratio) before they leave the
    thread.
    """

    def __init__(
        self,
        monitor: int = 1,
        *,
        fps: float = 15.0,
        display: str | None = None,
        max_width: int | None = None,
    ) -> None:
        super().__init__(CaptureFormat(0, 0, fps), thread_name="lkdesk-screen")
        self.monitor = monitor
        self.display = display
        self.max_width = max_width

    def _describe(self) -> str:
        where = f" of display {self.display!r}" if self.display else ""
        return f"The screen {self.monitor}{where}"

    def _open_reader(self, stop: threading.Event) -> OpenedSource:
        sct = _connect(self.display)
        try:
            monitors = _monitors(sct)
            if not 0 <= self.monitor < len(monitors):
                available = ", ".join(
                    f"{i} ({m['width']}x{m['height']})" for i, m in enumerate(monitors) if i
                )
                raise DeviceNotFoundError(
                    f"There is no monitor {self.monitor} (available: {available or 'none'}). "
                    "Choose another screen."
                )
            reader = _ScreenReader(sct, dict(monitors[self.monitor]), self.max_width)
            first = reader.read()
        except BaseException:
            sct.close()
            raise
        granted = CaptureFormat(width=first.shape[1], height=first.shape[0], fps=self.requested.fps)
        return OpenedSource(reader=reader, granted=granted, paced=True)

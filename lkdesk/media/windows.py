"""Application windows on X11: list them and capture one, through xcffib (XCB).

Windows come from the window manager's ``_NET_CLIENT_LIST`` (EWMH); with no window
manager, from the root window's mapped children. A window is captured from its own
off-screen pixmap (the Composite extension), so windows in front of it do not show;
without Composite its area is read as it appears. lkdesk's own windows (its process id,
or ids the caller names) are never listed: sharing them would show an endless mirror.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import xcffib
import xcffib.composite
import xcffib.xproto as xp

from lkdesk.media._video_thread import CaptureFormat, OpenedSource, RGBArray, ThreadedVideoCapture
from lkdesk.media.errors import BackendMissingError, DeviceFailedError, DeviceNotFoundError
from lkdesk.media.screen import check_display, scale_down

MIN_SIZE = 64
_FFI: Any = xcffib.ffi  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class WindowInfo:
    """A top-level application window."""

    id: int
    title: str
    width: int
    height: int
    pid: int = 0


def _connect(display: str | None) -> Any:
    check_display(display)
    try:
        return xcffib.connect(display=display or os.environ.get("DISPLAY"))  # type: ignore[no-untyped-call]
    except xcffib.ConnectionException as exc:
        raise BackendMissingError(
            f"Cannot connect to the display {display or os.environ.get('DISPLAY', '')!r} "
            f"({type(exc).__name__}). Check that it is running."
        ) from exc


class _X:
    """One XCB connection and the few requests lkdesk needs (one thread at a time)."""

    def __init__(self, display: str | None) -> None:
        self.conn: Any = _connect(display)
        self.root: int = self.conn.get_setup().roots[0].root
        self._atoms: dict[str, int] = {}
        self.composite: Any = None
        try:
            composite = self.conn(xcffib.composite.key)
            composite.QueryVersion(0, 4).reply()
            self.composite = composite
        except (xcffib.XcffibException, KeyError):
            pass  # no Composite: windows are read as they appear on screen

    def close(self) -> None:
        self.conn.disconnect()

    def atom(self, name: str) -> int:
        if name not in self._atoms:
            self._atoms[name] = self.conn.core.InternAtom(False, len(name), name).reply().atom
        return self._atoms[name]

    def prop(self, window: int, name: str, kind: int = xp.GetPropertyType.Any) -> bytes:
        reply = self.conn.core.GetProperty(False, window, self.atom(name), kind, 0, 4096).reply()
        return bytes(reply.value.buf()) if reply.value_len else b""

    def cardinals(self, window: int, name: str) -> list[int]:
        data = self.prop(window, name)
        return list(np.frombuffer(data[: len(data) // 4 * 4], dtype=np.uint32))

    def title(self, window: int) -> str:
        raw = self.prop(window, "_NET_WM_NAME") or self.prop(window, "WM_NAME")
        return raw.decode("utf-8", "replace").strip("\0").strip()

    def geometry(self, window: int) -> tuple[int, int]:
        reply = self.conn.core.GetGeometry(window).reply()
        return int(reply.width), int(reply.height)

    def viewable(self, window: int) -> bool:
        attrs = self.conn.core.GetWindowAttributes(window).reply()
        return bool(
            attrs.map_state == xp.MapState.Viewable
            and attrs._class == xp.WindowClass.InputOutput
            and not attrs.override_redirect
        )

    def candidates(self) -> list[int]:
        managed = self.cardinals(self.root, "_NET_CLIENT_LIST")
        if managed:
            return [int(w) for w in managed]
        return [int(w) for w in self.conn.core.QueryTree(self.root).reply().children]

    def grab(self, window: int, width: int, height: int) -> RGBArray:
        drawable, pixmap = window, 0
        if self.composite is not None:
            self.composite.RedirectWindow(window, xcffib.composite.Redirect.Automatic)
            pixmap = self.conn.generate_id()
            self.composite.NameWindowPixmap(window, pixmap)
            drawable = pixmap
        try:
            cookie = self.conn.core.GetImage(
                xp.ImageFormat.ZPixmap, drawable, 0, 0, width, height, 0xFFFFFFFF
            )
            raw = self.conn.wait_for_reply(cookie.sequence)  # raw reply: no per-byte parsing
            data = _FFI.buffer(raw.cdata, raw.known_max)
            bgra = np.frombuffer(data, dtype=np.uint8, offset=32, count=width * height * 4)
            return np.ascontiguousarray(bgra.reshape(height, width, 4)[..., 2::-1])
        except xcffib.XcffibException as exc:
            raise DeviceFailedError(
                "The shared window closed or can no longer be read. Choose another window."
            ) from exc
        finally:
            if pixmap:
                self.conn.core.FreePixmap(pixmap)
                self.conn.flush()


def list_windows(
    display: str | None = None,
    exclude_pids: tuple[int, ...] = (),
    exclude_ids: tuple[int, ...] = (),
) -> list[WindowInfo]:
    """Application windows that can be shared, front-most last; lkdesk's own excluded."""
    pids = {os.getpid(), *exclude_pids}
    x = _X(display)
    try:
        found = []
        for window in x.candidates():
            if window in exclude_ids or not x.viewable(window):
                continue
            title = x.title(window)
            pid_list = x.cardinals(window, "_NET_WM_PID")
            pid = int(pid_list[0]) if pid_list else 0
            width, height = x.geometry(window)
            if not title or pid in pids or width < MIN_SIZE or height < MIN_SIZE:
                continue
            found.append(WindowInfo(window, title, width, height, pid))
        return found
    finally:
        x.close()


def grab_window(window: int, display: str | None = None) -> RGBArray:
    """One picture of ``window`` (for the picker's thumbnails)."""
    x = _X(display)
    try:
        width, height = _size_of(x, window)
        return x.grab(window, width, height)
    finally:
        x.close()


def _size_of(x: _X, window: int) -> tuple[int, int]:
    try:
        return x.geometry(window)
    except xcffib.XcffibException as exc:
        raise DeviceNotFoundError(
            "That window is gone (it was closed). Choose another window to share."
        ) from exc


class _WindowReader:
    def __init__(self, x: _X, window: int, max_width: int | None) -> None:
        self._x, self._window, self._max_width = x, window, max_width

    def read(self) -> RGBArray:
        width, height = _size_of(self._x, self._window)
        return scale_down(self._x.grab(self._window, width, height), self._max_width)

    def close(self) -> None:
        self._x.close()


class WindowCapture(ThreadedVideoCapture):
    """Frames of one application window at ``fps`` (follows its size as it changes)."""

    def __init__(
        self,
        window: int,
        *,
        fps: float = 15.0,
        display: str | None = None,
        max_width: int | None = None,
    ) -> None:
        super().__init__(CaptureFormat(0, 0, fps), thread_name="lkdesk-window")
        self.window = window
        self.display = display
        self.max_width = max_width

    def _describe(self) -> str:
        return f"The window {self.window:#x}"

    def _open_reader(self, stop: threading.Event) -> OpenedSource:
        x = _X(self.display)
        try:
            reader = _WindowReader(x, self.window, self.max_width)
            first = reader.read()
        except BaseException:
            x.close()
            raise
        granted = CaptureFormat(first.shape[1], first.shape[0], self.requested.fps)
        return OpenedSource(reader=reader, granted=granted, paced=True)

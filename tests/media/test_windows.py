"""Application windows on a private Xvfb: listed (lkdesk's own left out) and captured from
their own pixmap, so a window in front does not show in the share."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import xcffib
import xcffib.xproto as xp

from lkdesk.media import WindowCapture, grab_window, list_windows
from lkdesk.media.errors import DeviceNotFoundError
from tests.support.xvfb import xvfb


class Windows:
    """Top-level windows made directly with XCB (no toolkit), as other apps would."""

    def __init__(self, display: str) -> None:
        self.conn: Any = xcffib.connect(display=display)
        self.screen = self.conn.get_setup().roots[0]

    def atom(self, name: str) -> int:
        return int(self.conn.core.InternAtom(False, len(name), name).reply().atom)

    def make(self, title: str, x: int, y: int, w: int, h: int, rgb: int, pid: int) -> int:
        wid = self.conn.generate_id()
        s = self.screen
        self.conn.core.CreateWindow(
            s.root_depth,
            wid,
            s.root,
            x,
            y,
            w,
            h,
            0,
            xp.WindowClass.InputOutput,
            s.root_visual,
            xp.CW.BackPixel,
            [rgb],
        )
        name = title.encode()
        self.conn.core.ChangeProperty(
            xp.PropMode.Replace,
            wid,
            self.atom("_NET_WM_NAME"),
            self.atom("UTF8_STRING"),
            8,
            len(name),
            name,
        )
        self.conn.core.ChangeProperty(
            xp.PropMode.Replace, wid, self.atom("_NET_WM_PID"), xp.Atom.CARDINAL, 32, 1, [pid]
        )
        self.conn.core.MapWindow(wid)
        self.conn.flush()
        return wid

    def set_client_list(self, windows: list[int]) -> None:
        self.conn.core.ChangeProperty(
            xp.PropMode.Replace,
            self.screen.root,
            self.atom("_NET_CLIENT_LIST"),
            xp.Atom.WINDOW,
            32,
            len(windows),
            windows,
        )
        self.conn.flush()

    def destroy(self, wid: int) -> None:
        self.conn.core.DestroyWindow(wid)
        self.conn.flush()


@pytest.fixture
def desktop() -> Iterator[tuple[str, Windows, dict[str, int]]]:
    with xvfb(800, 600) as display:
        windows = Windows(display)
        other = os.getpid() + 1
        made = {
            "green": windows.make("Green notes", 20, 20, 320, 200, 0x00C000, other),
            "mine": windows.make("lkdesk", 400, 20, 300, 200, 0x202020, os.getpid()),
            "tiny": windows.make("Tiny tool", 400, 300, 30, 30, 0xFFFFFF, other),
            "red": windows.make("Red front", 200, 100, 300, 200, 0xD00000, other),
        }
        windows.conn.core.GetInputFocus().reply()  # a round trip: everything is mapped
        try:
            yield display, windows, made
        finally:
            windows.conn.disconnect()


def test_windows_are_listed_with_titles_and_lkdesk_and_tiny_ones_left_out(
    desktop: tuple[str, Windows, dict[str, int]],
) -> None:
    display, _, made = desktop
    found = list_windows(display)
    assert [(w.title, w.width, w.height) for w in found] == [
        ("Green notes", 320, 200),
        ("Red front", 300, 200),
    ]
    assert {w.id for w in found} == {made["green"], made["red"]}


def test_the_window_managers_client_list_is_used_when_there_is_one(
    desktop: tuple[str, Windows, dict[str, int]],
) -> None:
    display, windows, made = desktop
    windows.set_client_list([made["red"], made["mine"]])
    assert [w.title for w in list_windows(display)] == ["Red front"]


def test_a_window_behind_another_is_captured_without_the_one_in_front(
    desktop: tuple[str, Windows, dict[str, int]],
) -> None:
    display, _, made = desktop
    picture = grab_window(made["green"], display)
    assert picture.shape == (200, 320, 3)
    r, g, b = picture.reshape(-1, 3).mean(axis=0)
    assert g > 180 and r < 20 and b < 20, (r, g, b)  # the red window overlaps its corner


async def test_window_capture_streams_frames_of_the_window(
    desktop: tuple[str, Windows, dict[str, int]],
) -> None:
    display, _, made = desktop
    capture = WindowCapture(made["red"], fps=10, display=display)
    await capture.start()
    try:
        frames = []
        async with asyncio.timeout(10):
            async for event in capture:
                frames.append(event.frame.data)
                if len(frames) == 3:
                    break
    finally:
        await capture.aclose()
    assert capture.granted is not None and (capture.granted.width, capture.granted.height) == (
        300,
        200,
    )
    for data in frames:
        assert np.abs(data.reshape(-1, 3).mean(axis=0) - (208, 0, 0)).max() < 3


def test_a_closed_window_says_so(desktop: tuple[str, Windows, dict[str, int]]) -> None:
    display, windows, made = desktop
    windows.destroy(made["green"])
    windows.conn.core.GetInputFocus().reply()
    with pytest.raises(DeviceNotFoundError, match="window is gone"):
        grab_window(made["green"], display)

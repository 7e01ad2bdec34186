"""Helpers for UI tests: polling with a deadline, driving the window into the demo room."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from lkdesk.session import SessionState
from lkdesk.ui import MainWindow


async def until(condition: Callable[[], object], deadline_s: float = 5.0, what: str = "") -> None:
    """Poll ``condition`` while the Qt and asyncio loop runs; fail after ``deadline_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {deadline_s} s waiting for {what or condition}")
        await asyncio.sleep(0.02)


async def join_demo(window: MainWindow) -> None:
    """Start screen → demo → pre-join → joined, through the real buttons."""
    window.start.demo_button.click()
    await until(lambda: window.current_page() is window.prejoin, what="the pre-join page")
    window.prejoin.join_button.click()
    await until(
        lambda: (
            window.session is not None and window.session.status.state is SessionState.CONNECTED
        ),
        what="the demo room to connect",
    )


def pixels(widget: QWidget) -> npt.NDArray[np.uint8]:
    """What ``widget`` paints, as an (h, w, 3) RGB array."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    ptr = image.constBits()
    data = np.frombuffer(ptr, dtype=np.uint8, count=image.sizeInBytes())
    rows = data.reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


async def share_from_picker(window: MainWindow, source_id: str) -> None:
    """Click Share, pick ``source_id`` in the picker (once its thumbnail shows), confirm."""
    window.room.controls.share.click()
    await until(
        lambda: window.share_picker is not None and window.share_picker.isVisible(),
        what="the share picker",
    )
    picker = window.share_picker
    assert picker is not None
    await until(
        lambda: source_id in picker.cards and picker.cards[source_id].has_picture,
        what=f"a thumbnail of {source_id}",
    )
    picker.cards[source_id].click()
    picker.share_button.click()

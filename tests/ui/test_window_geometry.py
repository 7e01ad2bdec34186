"""The window opens fitted to its screen and comes back where the user left it, per screen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect

from lkdesk.ui import AppSettings, MainWindow
from lkdesk.ui.window_geometry import FRAME_ALLOWANCE, fit_geometry, place, screen_key

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize(
    ("screen", "size"),
    [
        (QRect(0, 0, 1920, 1080), (1280, 800)),  # room to spare: the preferred size
        (QRect(0, 0, 1366, 740), (1280, 692)),  # a laptop with a panel: shrunk to fit
        (QRect(0, 0, 1024, 640), (1000, 592)),
        (QRect(1920, 24, 1366, 744), (1280, 696)),  # a second monitor to the right
    ],
)
def test_fit_geometry_keeps_window_and_frame_inside_the_available_area(
    screen: QRect, size: tuple[int, int]
) -> None:
    rect = fit_geometry(screen)
    assert (rect.width(), rect.height()) == size
    framed = rect.adjusted(-FRAME_ALLOWANCE.width() // 2, -36, FRAME_ALLOWANCE.width() // 2, 12)
    assert screen.contains(framed), (framed, screen)


async def test_geometry_is_remembered_for_the_screen_it_was_left_on(
    window: MainWindow, settings: AppSettings
) -> None:
    window.show()
    window.setGeometry(30, 60, 740, 500)
    window.close()  # remembered for this screen
    assert settings.geometry_for(screen_key(window.screen())) is not None
    assert settings.geometry_for("another-screen-1024x640") is None
    window.setGeometry(0, 0, 780, 700)
    place(window, settings)
    assert (window.width(), window.height()) == (740, 500)
    assert abs(window.x() - 30) <= 4 and abs(window.y() - 60) <= 4  # (offscreen frame quirk)


async def test_a_remembered_place_that_no_longer_fits_is_refitted(
    window: MainWindow, settings: AppSettings
) -> None:
    window.show()
    window.setGeometry(400, 400, 780, 600)  # hangs off the 800x800 offscreen screen
    window.close()
    place(window, settings)
    available = window.screen().availableGeometry()
    assert available.adjusted(-8, -8, 8, 8).contains(window.frameGeometry())

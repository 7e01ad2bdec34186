"""Fit the main window to the screen it opens on, and remember its place per screen.

A laptop at 1366×768 has less room than the 1280×800 the window would like, once the panel
and the title bar are counted: the window takes the screen's *available* geometry, keeps a
margin for the frame, and is centred. What the user last chose is remembered for each
screen (by name and size), so a docked monitor and the laptop panel each keep their own.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

from lkdesk.ui.settings import AppSettings

PREFERRED = QSize(1280, 800)
MINIMUM = QSize(720, 480)
FRAME_ALLOWANCE = QSize(24, 48)  # a title bar and borders the window manager adds
TITLE_BAR = 36  # of FRAME_ALLOWANCE's height, the part above the window's contents


def fit_geometry(available: QRect, preferred: QSize = PREFERRED) -> QRect:
    """The preferred size shrunk to fit ``available`` (less a frame allowance), centred."""
    width = max(min(preferred.width(), available.width() - FRAME_ALLOWANCE.width()), 1)
    height = max(min(preferred.height(), available.height() - FRAME_ALLOWANCE.height()), 1)
    x = available.x() + (available.width() - width) // 2
    spare = available.height() - height - FRAME_ALLOWANCE.height()
    y = available.y() + max(spare // 2, 0) + TITLE_BAR
    return QRect(x, min(y, available.bottom() - height + 1), width, height)


def screen_key(screen: QScreen) -> str:
    """Names a screen for remembering geometry: its name and available size."""
    size = screen.availableGeometry().size()
    name = screen.name() or "screen"
    return f"{name}-{size.width()}x{size.height()}"


def place(window: QWidget, settings: AppSettings) -> None:
    """Give ``window`` the geometry remembered for its screen, or one that fits the screen."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(PREFERRED)
        return
    available = screen.availableGeometry()
    saved = settings.geometry_for(screen_key(screen))
    if saved is not None and window.restoreGeometry(saved):
        frame = window.frameGeometry()
        if (
            available.contains(frame.topLeft())
            and frame.width() <= available.width()
            and (frame.height() <= available.height())
        ):
            return
    window.setGeometry(fit_geometry(available))


def remember(window: QWidget, settings: AppSettings) -> None:
    """Save the window's geometry for the screen it is on now."""
    screen = window.screen()
    if screen is not None:
        settings.set_geometry_for(screen_key(screen), window.saveGeometry())

"""Light and dark themes; "system" follows the desktop's colour scheme as it changes.

The room (video, control bar) is always dark, as in every meeting app: faces and screen
shares read best on a dark surround. Everything else follows the theme.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from enum import StrEnum
from string import Template

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from lkdesk.ui.resources import style_sheet

logger = logging.getLogger(__name__)


class ThemeMode(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, slots=True)
class Colors:
    """Named colours; the style sheet refers to them as ``${name}``."""

    window: str
    surface: str
    field: str
    border: str
    text: str
    muted: str
    accent: str
    accent_hover: str
    accent_text: str
    danger: str
    danger_hover: str
    success: str
    warning: str
    selection: str


LIGHT = Colors(
    window="#f4f5f7",
    surface="#ffffff",
    field="#ffffff",
    border="#d9dde3",
    text="#1d2127",
    muted="#5d6470",
    accent="#2f6fed",
    accent_hover="#255fd3",
    accent_text="#ffffff",
    danger="#d93025",
    danger_hover="#bb271d",
    success="#188038",
    warning="#b06000",
    selection="#dbe6fd",
)
DARK = Colors(
    window="#15171c",
    surface="#1f232b",
    field="#272c35",
    border="#343a46",
    text="#e8eaed",
    muted="#9aa1ad",
    accent="#5b8cff",
    accent_hover="#7aa2ff",
    accent_text="#0b1020",
    danger="#ea4335",
    danger_hover="#f26b5f",
    success="#4cc27a",
    warning="#f0b44c",
    selection="#2b3a5c",
)


@dataclass(frozen=True, slots=True)
class RoomColors:
    """The always-dark meeting surfaces."""

    background: str = "#121418"
    tile: str = "#272b33"
    button: str = "#30343d"
    button_hover: str = "#3c414b"
    text: str = "#eef0f3"
    muted: str = "#a3a9b4"
    off: str = "#ea4335"
    off_hover: str = "#f05a4d"
    speaking: str = "#5b8cff"
    panel: str = "#1b1e24"


ROOM = RoomColors()


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    window = QGuiApplication.palette().color(QPalette.ColorRole.Window)
    return window.lightness() < 128


def colors_for(mode: ThemeMode) -> Colors:
    if mode is ThemeMode.SYSTEM:
        return DARK if system_is_dark() else LIGHT
    return DARK if mode is ThemeMode.DARK else LIGHT


def _palette(c: Colors) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, value in (
        (role.Window, c.window),
        (role.Base, c.field),
        (role.AlternateBase, c.surface),
        (role.WindowText, c.text),
        (role.Text, c.text),
        (role.Button, c.surface),
        (role.ButtonText, c.text),
        (role.Highlight, c.accent),
        (role.HighlightedText, c.accent_text),
        (role.ToolTipBase, c.surface),
        (role.ToolTipText, c.text),
        (role.PlaceholderText, c.muted),
        (role.Link, c.accent),
        (role.Mid, c.border),
        (role.Midlight, c.border),
    ):
        p.setColor(r, QColor(value))
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor(c.muted))
    return p


class ThemeController(QObject):
    """Applies a theme to the application and re-applies it when the system scheme changes."""

    def __init__(self, app: QApplication, mode: ThemeMode = ThemeMode.SYSTEM) -> None:
        super().__init__(app)
        self._app = app
        self.mode = mode
        self.colors = colors_for(mode)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_changed)

    def apply(self, mode: ThemeMode | None = None) -> Colors:
        if mode is not None:
            self.mode = mode
        self.colors = colors_for(self.mode)
        self._app.setStyle("Fusion")
        self._app.setPalette(_palette(self.colors))
        values = {**asdict(self.colors), **{f"room_{k}": v for k, v in asdict(ROOM).items()}}
        self._app.setStyleSheet(Template(style_sheet()).safe_substitute(values))
        logger.debug("theme %s applied", self.mode)
        return self.colors

    def _system_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.mode is ThemeMode.SYSTEM:
            self.apply()

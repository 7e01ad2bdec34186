"""lkdesk's PySide6 interface. Talks to the rest of lkdesk only through :mod:`lkdesk.session`."""

from lkdesk.ui.main_window import MainWindow
from lkdesk.ui.settings import AppSettings
from lkdesk.ui.theme import ThemeController, ThemeMode

__all__ = ["AppSettings", "MainWindow", "ThemeController", "ThemeMode"]

"""Settings → General: display name and theme."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit

from lkdesk.ui.settings import AppSettings
from lkdesk.ui.settings_pages.common import Page
from lkdesk.ui.theme import ThemeMode

THEMES = (
    (ThemeMode.SYSTEM, "Follow the system"),
    (ThemeMode.LIGHT, "Light"),
    (ThemeMode.DARK, "Dark"),
)


class GeneralPage(Page):
    title = "General"

    def __init__(self, settings: AppSettings) -> None:
        super().__init__("How you appear, and how lkdesk looks.")
        self.name = QLineEdit(settings.display_name)
        self.name.setPlaceholderText("Used when you join with an API key or the demo")
        self.theme = QComboBox()
        for mode, text in THEMES:
            self.theme.addItem(text, mode.value)
        self.theme.setCurrentIndex(max(self.theme.findData(settings.theme.value), 0))
        self.form.addRow("Display name", self.name)
        self.form.addRow("Theme", self.theme)
        self.finish()

    def theme_mode(self) -> ThemeMode:
        return ThemeMode(str(self.theme.currentData()))

    def save(self, settings: AppSettings) -> None:
        settings.display_name = self.name.text()
        settings.theme = self.theme_mode()

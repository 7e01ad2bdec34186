"""Check boxes for the desktop switches (AppSettings.flag), placed on several Settings pages."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from lkdesk.ui.settings import AppSettings

LABELS = {
    "keep_in_tray": "Closing the window during a call keeps the call in the system tray",
    "mini_window": "Show a small always-on-top window with the speaker when lkdesk is in "
    "the background during a call",
    "desktop_notifications": "Show chat messages as desktop notifications while lkdesk is "
    "in the background",
    "mentions_only": "… only messages that mention my name",
    "do_not_disturb": "Do not disturb: no desktop notifications",
    "history": "Keep chat history on this computer (searchable from the chat panel)",
}


class FlagsBox(QWidget):
    """One check box per flag, saved with the dialog."""

    def __init__(self, settings: AppSettings, flags: tuple[str, ...]) -> None:
        super().__init__()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 6, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for flag in flags:
            box = QCheckBox(LABELS[flag])
            box.setChecked(settings.flag(flag))
            self.boxes[flag] = box
            column.addWidget(box)

    def save(self, settings: AppSettings) -> None:
        for flag, box in self.boxes.items():
            settings.set_flag(flag, box.isChecked())

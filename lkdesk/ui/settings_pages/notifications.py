"""Settings → Notifications: which events show a message over the room."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox

from lkdesk.ui.settings import AppSettings
from lkdesk.ui.settings_pages.common import Page

KINDS = (
    ("join_leave", "Someone joins or leaves"),
    ("chat", "A chat message arrives while the chat is closed"),
)


class NotificationsPage(Page):
    title = "Notifications"

    def __init__(self, settings: AppSettings) -> None:
        super().__init__(
            "Messages over the room. Problems with your devices or connection always show."
        )
        self.boxes: dict[str, QCheckBox] = {}
        for key, text in KINDS:
            box = QCheckBox(text)
            box.setChecked(settings.notify(key))
            self.boxes[key] = box
            self.column.addWidget(box)
        self.finish()

    def save(self, settings: AppSettings) -> None:
        for key, box in self.boxes.items():
            settings.set_notify(key, box.isChecked())

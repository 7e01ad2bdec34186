"""Settings → Network: how long to wait for a server and for the media connection."""

from __future__ import annotations

from PySide6.QtWidgets import QSpinBox

from lkdesk.ui.settings import AppSettings
from lkdesk.ui.settings_pages.common import Page
from lkdesk.ui.widgets import label


def _seconds(value: int, low: int, high: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSuffix(" s")
    box.setValue(value)
    return box


class NetworkPage(Page):
    title = "Network"

    def __init__(self, settings: AppSettings) -> None:
        super().__init__("Used the next time you join. Slow or far-away servers need longer.")
        self.join_timeout = _seconds(settings.join_timeout_s, 3, 120)
        self.media_timeout = _seconds(settings.media_timeout_s, 5, 120)
        self.form.addRow("Wait for the server", self.join_timeout)
        self.form.addRow("Wait for audio and video", self.media_timeout)
        self.column.addWidget(
            label(
                "Relay (TURN) and STUN servers come from the LiveKit server you join; lkdesk "
                "sends media only to that server's addresses.",
                "muted",
            )
        )
        self.finish()

    def save(self, settings: AppSettings) -> None:
        settings.join_timeout_s = self.join_timeout.value()
        settings.media_timeout_s = self.media_timeout.value()

"""Settings → Network: how long to wait for a server and for the media connection."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QSpinBox

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
    check_requested = Signal(str)  # a saved server's profile id

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
        self.servers = QComboBox()
        self.servers.addItem("No saved server yet")
        self.servers.setEnabled(False)
        self.check = QPushButton("Check the network…")
        self.check.setEnabled(False)
        self.check.clicked.connect(lambda: self.check_requested.emit(self.servers.currentData()))
        row = QHBoxLayout()
        row.addWidget(self.servers, 1)
        row.addWidget(self.check)
        self.form.addRow("Check the way to", row)
        self.finish()

    def set_servers(self, servers: list[tuple[str, str]]) -> None:
        """Saved servers as (profile id, label) to offer the network check for."""
        self.servers.clear()
        for profile_id, name in servers:
            self.servers.addItem(name, profile_id)
        if not servers:
            self.servers.addItem("No saved server yet")
        self.servers.setEnabled(bool(servers))
        self.check.setEnabled(bool(servers))

    def save(self, settings: AppSettings) -> None:
        settings.join_timeout_s = self.join_timeout.value()
        settings.media_timeout_s = self.media_timeout.value()

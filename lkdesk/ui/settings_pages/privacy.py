"""Settings → Privacy: what lkdesk stores where, and "forget everything"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton

from lkdesk.ui.settings_pages.common import Page
from lkdesk.ui.widgets import label


class PrivacyPage(Page):
    """Emits ``forget_everything`` after the button was clicked twice (no dialog box)."""

    title = "Privacy"
    forget_everything = Signal()

    def __init__(self, places: list[tuple[str, str]]) -> None:
        super().__init__(
            "lkdesk keeps these on this computer only. Calls are not recorded; received "
            "files live only as long as the call. Chat is kept only while history is on."
        )
        for what, where in places:
            value = QLabel(where)
            value.setProperty("role", "code")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(what, value)
        self.column.addSpacing(8)
        self.column.addWidget(
            label(
                "Forget everything: saved servers and their secrets (from the keyring too), "
                "your settings, the chat history and the log. lkdesk then starts as on "
                "first use.",
                "muted",
            )
        )
        self.forget = QPushButton("Forget everything…")
        self.forget.setProperty("kind", "danger")
        self.forget.clicked.connect(self._clicked)
        self.column.addWidget(self.forget, 0, Qt.AlignmentFlag.AlignLeft)
        self.done = label("", "ok")
        self.done.hide()
        self.column.addWidget(self.done)
        self._armed = False
        self.finish()

    def _clicked(self) -> None:
        if not self._armed:
            self._armed = True
            self.forget.setText("Click again to forget everything")
            return
        self.forget.setEnabled(False)
        self.forget_everything.emit()

    def show_done(self, message: str) -> None:
        self.done.setText(message)
        self.done.show()

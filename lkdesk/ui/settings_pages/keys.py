"""Settings → Shortcuts: every action's key, remappable."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QKeySequenceEdit, QPushButton

from lkdesk.ui.settings_pages.common import Page
from lkdesk.ui.shortcuts import ACTIONS, Action, Shortcuts


class KeysPage(Page):
    title = "Shortcuts"

    def __init__(self, shortcuts: Shortcuts) -> None:
        super().__init__("Click a field and press the new key; clear it to turn one off.")
        self._shortcuts = shortcuts
        self.edits: dict[Action, QKeySequenceEdit] = {}
        for action, info in ACTIONS.items():
            edit = QKeySequenceEdit(shortcuts.key(action))
            edit.setMaximumSequenceLength(1)
            edit.setClearButtonEnabled(True)
            self.edits[action] = edit
            self.form.addRow(info.label, edit)
        reset = QPushButton("Reset to defaults")
        reset.clicked.connect(self.reset)
        self.form.addRow("", reset)
        self.finish()

    def reset(self) -> None:
        for action, edit in self.edits.items():
            edit.setKeySequence(QKeySequence.fromString(ACTIONS[action].default))

    def save(self) -> None:
        for action, edit in self.edits.items():
            if edit.keySequence() != self._shortcuts.key(action):
                self._shortcuts.set_key(action, edit.keySequence())

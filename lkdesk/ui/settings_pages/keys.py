"""Settings → Shortcuts: every action's key, remappable."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QKeySequenceEdit, QPushButton

from lkdesk.ui.settings import AppSettings
from lkdesk.ui.settings_pages.common import Page
from lkdesk.ui.settings_pages.global_keys import GlobalKeysBox
from lkdesk.ui.shortcuts import ACTIONS, Action, Shortcuts
from lkdesk.ui.widgets import label


class KeysPage(Page):
    title = "Shortcuts"

    def __init__(self, shortcuts: Shortcuts, settings: AppSettings | None = None) -> None:
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
        self.global_keys = GlobalKeysBox(settings) if settings is not None else None
        if self.global_keys is not None:
            self.column.addWidget(label("From any application", "heading"))
            self.column.addWidget(self.global_keys)
        self.finish()

    def reset(self) -> None:
        for action, edit in self.edits.items():
            edit.setKeySequence(QKeySequence.fromString(ACTIONS[action].default))

    def save(self, settings: AppSettings | None = None) -> None:
        if self.global_keys is not None and settings is not None:
            self.global_keys.save(settings)
        for action, edit in self.edits.items():
            if edit.keySequence() != self._shortcuts.key(action):
                self._shortcuts.set_key(action, edit.keySequence())

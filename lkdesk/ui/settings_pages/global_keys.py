"""Settings → Shortcuts → "From any application": the global push-to-talk and mute keys.

Which keys, whether they are on, and — in plain words — whether this desktop lets lkdesk
hear them while another application has the focus (X11 yes, Wayland only through the
desktop's portal, otherwise not at all).
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QCheckBox, QFormLayout, QKeySequenceEdit, QLabel, QWidget

from lkdesk.session import Feature
from lkdesk.session.global_keys import NAMES, PUSH_TO_TALK, TOGGLE_MIC
from lkdesk.ui.settings import AppSettings

DEFAULTS = {PUSH_TO_TALK: "F9", TOGGLE_MIC: "Ctrl+Alt+M"}


def global_keys(settings: AppSettings) -> dict[str, str]:
    """The global keys as Qt portable text ("" for one turned off)."""
    return {
        name: saved if (saved := settings.shortcut(f"global_{name}")) is not None else default
        for name, default in DEFAULTS.items()
    }


class GlobalKeysBox(QWidget):
    """The switch, one key field per global action, and what this desktop allows."""

    def __init__(self, settings: AppSettings) -> None:
        super().__init__()
        form = QFormLayout(self)
        form.setContentsMargins(0, 8, 0, 0)
        self.enabled = QCheckBox("Push to talk and mute from any application, during a call")
        self.enabled.setChecked(settings.flag("global_shortcuts"))
        form.addRow(self.enabled)
        self.edits: dict[str, QKeySequenceEdit] = {}
        for name, text in global_keys(settings).items():
            edit = QKeySequenceEdit(QKeySequence.fromString(text))
            edit.setMaximumSequenceLength(1)
            edit.setClearButtonEnabled(True)
            self.edits[name] = edit
            form.addRow(f"{NAMES[name]}, anywhere", edit)
        self.status = QLabel("Checking whether this desktop allows global shortcuts…")
        self.status.setProperty("role", "muted")
        self.status.setWordWrap(True)
        form.addRow(self.status)

    def show_availability(self, feature: Feature) -> None:
        self.status.setText(feature.reason)
        self.status.setProperty("role", "muted" if feature.available else "error")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def save(self, settings: AppSettings) -> None:
        settings.set_flag("global_shortcuts", self.enabled.isChecked())
        for name, edit in self.edits.items():
            text = edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
            settings.set_shortcut(f"global_{name}", text)

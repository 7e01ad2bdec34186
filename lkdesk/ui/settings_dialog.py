"""``SettingsDialog``: name, theme, devices and shortcuts. Opened with ``open()``."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import Device, DeviceKind
from lkdesk.ui.settings import AppSettings
from lkdesk.ui.shortcuts import ACTIONS, Action, Shortcuts
from lkdesk.ui.theme import ThemeMode

_THEMES = (
    (ThemeMode.SYSTEM, "Follow the system"),
    (ThemeMode.LIGHT, "Light"),
    (ThemeMode.DARK, "Dark"),
)


class SettingsDialog(QDialog):
    """Changes apply on OK; the caller listens to ``accepted`` and reads :meth:`devices`."""

    def __init__(
        self,
        parent: QWidget,
        settings: AppSettings,
        shortcuts: Shortcuts,
        devices: dict[DeviceKind, tuple[Device, ...]],
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        self._settings = settings
        self._shortcuts = shortcuts
        tabs = QTabWidget()
        tabs.addTab(self._general(), "General")
        tabs.addTab(self._devices(devices), "Audio and video")
        tabs.addTab(self._keys(), "Shortcuts")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(tabs)
        column.addWidget(buttons)

    def _general(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.name = QLineEdit(self._settings.display_name)
        self.name.setPlaceholderText("Used when you join with an API key or the demo")
        self.theme = QComboBox()
        for mode, label in _THEMES:
            self.theme.addItem(label, mode.value)
        self.theme.setCurrentIndex(max(self.theme.findData(self._settings.theme.value), 0))
        form.addRow("Display name", self.name)
        form.addRow("Theme", self.theme)
        return page

    def _devices(self, devices: dict[DeviceKind, tuple[Device, ...]]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.device_combos: dict[DeviceKind, QComboBox] = {}
        for kind, label in (
            (DeviceKind.CAMERA, "Camera"),
            (DeviceKind.MICROPHONE, "Microphone"),
            (DeviceKind.SPEAKER, "Speaker"),
        ):
            combo = QComboBox()
            found = devices.get(kind, ())
            for device in found:
                combo.addItem(device.name, device.id)
            if not found:
                combo.addItem("No device available")
                combo.setEnabled(False)
            combo.setCurrentIndex(max(combo.findData(self._settings.device(kind)), 0))
            self.device_combos[kind] = combo
            form.addRow(label, combo)
        return page

    def _keys(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.setVerticalSpacing(6)
        self.key_edits: dict[Action, QKeySequenceEdit] = {}
        for row, (action, info) in enumerate(ACTIONS.items()):
            edit = QKeySequenceEdit(self._shortcuts.key(action))
            edit.setMaximumSequenceLength(1)
            edit.setClearButtonEnabled(True)
            self.key_edits[action] = edit
            grid.addWidget(QLabel(info.label), row, 0)
            grid.addWidget(edit, row, 1)
        reset = QPushButton("Reset to defaults")
        reset.clicked.connect(self._reset_keys)
        grid.addWidget(reset, len(ACTIONS), 1, Qt.AlignmentFlag.AlignRight)
        return page

    def _reset_keys(self) -> None:
        for action, edit in self.key_edits.items():
            edit.setKeySequence(QKeySequence.fromString(ACTIONS[action].default))

    def theme_mode(self) -> ThemeMode:
        return ThemeMode(str(self.theme.currentData()))

    def devices(self) -> dict[DeviceKind, str]:
        return {
            kind: str(combo.currentData())
            for kind, combo in self.device_combos.items()
            if combo.currentData()
        }

    def _save(self) -> None:
        self._settings.display_name = self.name.text()
        self._settings.theme = self.theme_mode()
        for kind, device_id in self.devices().items():
            self._settings.set_device(kind, device_id)
        for action, edit in self.key_edits.items():
            if edit.keySequence() != self._shortcuts.key(action):
                self._shortcuts.set_key(action, edit.keySequence())
        self._settings.sync()
        self.accept()

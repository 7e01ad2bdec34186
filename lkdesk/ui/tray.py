"""``CallTray``: lkdesk's icon in the system tray, which keeps a call when the window closes.

A browser tab that closes ends the call; a desktop app can keep it. While a call runs, the
tray menu mutes, turns the camera on or off, leaves, shows the window again or quits.
Some desktops have no tray (``available`` is False there): then closing the window asks
instead, and a notification that found no desktop service has nowhere else to go.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from lkdesk.session import LocalMedia
from lkdesk.ui.resources import resources_dir


class CallTray(QObject):
    """The tray icon and its menu; signals say what the user picked."""

    show_requested = Signal()
    mic_requested = Signal()
    camera_requested = Signal()
    leave_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QWidget, available: bool | None = None) -> None:
        super().__init__(parent)
        self.available = QSystemTrayIcon.isSystemTrayAvailable() if available is None else available
        self.icon = QSystemTrayIcon(QIcon(str(resources_dir() / "icons" / "logo.svg")), self)
        self.icon.setToolTip("lkdesk")
        self.menu = QMenu(parent)
        self.show_action = self._add("Show lkdesk", self.show_requested)
        self.menu.addSeparator()
        self.mic_action = self._add("Mute microphone", self.mic_requested)
        self.camera_action = self._add("Turn camera off", self.camera_requested)
        self.leave_action = self._add("Leave the call", self.leave_requested)
        self.menu.addSeparator()
        self.quit_action = self._add("Quit lkdesk", self.quit_requested)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.set_call(None)
        if self.available:
            self.icon.show()

    def _add(self, text: str, signal: SignalInstance) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(signal.emit)
        return action

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_requested.emit()

    def set_call(self, media: LocalMedia | None, room: str = "") -> None:
        """In a call (``media``) or not (None): the call's actions follow."""
        in_call = media is not None
        for action in (self.mic_action, self.camera_action, self.leave_action):
            action.setVisible(in_call)
        if media is not None:
            self.mic_action.setText("Mute microphone" if media.mic_on else "Unmute microphone")
            self.camera_action.setText("Turn camera off" if media.camera_on else "Turn camera on")
        self.icon.setToolTip(f"lkdesk – in {room}" if in_call and room else "lkdesk")

    def message(self, title: str, text: str) -> bool:
        """A balloon from the tray icon; False when there is no tray to show it."""
        if not (self.available and QSystemTrayIcon.supportsMessages()):
            return False
        self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 6000)
        return True

    def hide(self) -> None:
        self.icon.hide()

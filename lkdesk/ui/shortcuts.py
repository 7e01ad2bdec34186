"""Keyboard shortcuts: defaults, remapping, QSettings persistence, push-to-talk.

Ordinary actions are QShortcuts on the main window. Push-to-talk needs the key *release*,
which QShortcut cannot report, so an application event filter watches the PTT key while a
room is open (and ignores it while the user types in a text field).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QKeySequenceEdit,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from lkdesk.ui.settings import AppSettings


class Action(StrEnum):
    TOGGLE_MIC = "toggle_mic"
    TOGGLE_CAMERA = "toggle_camera"
    PUSH_TO_TALK = "push_to_talk"
    TOGGLE_SCREEN = "toggle_screen"
    TOGGLE_CHAT = "toggle_chat"
    TOGGLE_PEOPLE = "toggle_people"
    TOGGLE_CAPTIONS = "toggle_captions"
    CONNECTION_DETAILS = "connection_details"
    FULLSCREEN = "fullscreen"
    LEAVE = "leave"
    HELP = "help"


@dataclass(frozen=True, slots=True)
class ActionInfo:
    label: str
    default: str  # portable QKeySequence text


ACTIONS: dict[Action, ActionInfo] = {
    Action.TOGGLE_MIC: ActionInfo("Mute / unmute microphone", "Ctrl+D"),
    Action.TOGGLE_CAMERA: ActionInfo("Turn camera on / off", "Ctrl+E"),
    Action.PUSH_TO_TALK: ActionInfo("Push to talk (hold while muted)", "Space"),
    Action.TOGGLE_SCREEN: ActionInfo("Share screen / stop sharing", "Ctrl+Shift+S"),
    Action.TOGGLE_CHAT: ActionInfo("Show / hide chat", "Ctrl+Shift+C"),
    Action.TOGGLE_PEOPLE: ActionInfo("Show / hide people", "Ctrl+Shift+P"),
    Action.TOGGLE_CAPTIONS: ActionInfo("Show / hide captions", "Alt+Shift+C"),
    Action.CONNECTION_DETAILS: ActionInfo("Connection details", "Ctrl+Shift+I"),
    Action.FULLSCREEN: ActionInfo("Full screen", "F11"),
    Action.LEAVE: ActionInfo("Leave the call", "Ctrl+Shift+L"),
    Action.HELP: ActionInfo("Keyboard shortcuts", "F1"),
}

_TEXT_INPUTS = (QLineEdit, QTextEdit, QPlainTextEdit, QKeySequenceEdit, QAbstractSpinBox)


def native(sequence: QKeySequence) -> str:
    return sequence.toString(QKeySequence.SequenceFormat.NativeText)


class Shortcuts(QObject):
    """The window's shortcuts. ``triggered(Action)``; ``talk(bool)`` for push-to-talk."""

    triggered = Signal(object)
    talk = Signal(bool)
    changed = Signal()

    def __init__(self, window: QWidget, settings: AppSettings) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self._keys: dict[Action, QKeySequence] = {}
        self._shortcuts: dict[Action, QShortcut] = {}
        self._talking = False
        self._ptt_enabled = False
        for action in ACTIONS:
            self._keys[action] = self._load(action)
            if action is not Action.PUSH_TO_TALK:
                shortcut = QShortcut(self._keys[action], window)
                shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
                shortcut.activated.connect(lambda a=action: self.triggered.emit(a))
                self._shortcuts[action] = shortcut

    def _load(self, action: Action) -> QKeySequence:
        saved = self._settings.shortcut(action.value)
        text = ACTIONS[action].default if saved is None else saved
        return QKeySequence.fromString(text, QKeySequence.SequenceFormat.PortableText)

    def key(self, action: Action) -> QKeySequence:
        return self._keys[action]

    def key_text(self, action: Action) -> str:
        return native(self._keys[action])

    def tooltip(self, text: str, action: Action) -> str:
        """``text`` with the shortcut in brackets, e.g. "Mute (Ctrl+D)"."""
        key = self.key_text(action)
        return f"{text} ({key})" if key else text

    def set_key(self, action: Action, sequence: QKeySequence) -> None:
        """Remap ``action``; saved at once. An empty sequence disables it."""
        self._keys[action] = sequence
        self._settings.set_shortcut(
            action.value, sequence.toString(QKeySequence.SequenceFormat.PortableText)
        )
        if action in self._shortcuts:
            self._shortcuts[action].setKey(sequence)
        self.changed.emit()

    def reset_defaults(self) -> None:
        for action, info in ACTIONS.items():
            self.set_key(action, QKeySequence.fromString(info.default))

    def set_room_active(self, active: bool) -> None:
        """Room-only actions and push-to-talk work only while in a room."""
        for action, shortcut in self._shortcuts.items():
            shortcut.setEnabled(active or action in (Action.FULLSCREEN, Action.HELP))
        app = QApplication.instance()
        if active and not self._ptt_enabled and app is not None:
            app.installEventFilter(self)
        elif not active and self._ptt_enabled and app is not None:
            app.removeEventFilter(self)
            self._stop_talking()
        self._ptt_enabled = active

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        assert isinstance(event, QKeyEvent)
        if event.isAutoRepeat() or not self._is_ptt(event):
            return False
        if kind == QEvent.Type.KeyPress:
            if self._typing() or QApplication.activeWindow() is not self._window:
                return False
            if not self._talking:
                self._talking = True
                self.talk.emit(True)
            return True
        if self._talking:
            self._stop_talking()
            return True
        return False

    def _stop_talking(self) -> None:
        if self._talking:
            self._talking = False
            self.talk.emit(False)

    def _is_ptt(self, event: QKeyEvent) -> bool:
        sequence = self._keys[Action.PUSH_TO_TALK]
        if sequence.isEmpty():
            return False
        wanted = sequence[0]  # type: ignore[index]
        return bool(event.key() == wanted.key() and event.modifiers() == wanted.keyboardModifiers())

    @staticmethod
    def _typing() -> bool:
        return isinstance(QApplication.focusWidget(), _TEXT_INPUTS)

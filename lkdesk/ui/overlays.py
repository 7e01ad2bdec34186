"""Things drawn over the room: toasts, the connection banner, the shortcut help."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import NoticeLevel
from lkdesk.ui.shortcuts import ACTIONS, Shortcuts

TOAST_SECONDS = 4.0
_TOAST_ACCENT = {
    NoticeLevel.INFO: "#5b8cff",
    NoticeLevel.WARNING: "#f0b44c",
    NoticeLevel.ERROR: "#ea4335",
}


class Toasts(QWidget):
    """Short messages bottom-left ("Ben joined"); one timer prunes them, idle when empty."""

    MAX = 4

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(6)
        self._column.addStretch(1)
        self._items: list[tuple[float, QFrame]] = []
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._prune)

    def texts(self) -> list[str]:
        return [item.findChild(QLabel, "ToastText").text() for _, item in self._items]  # type: ignore[union-attr]

    def show_toast(self, text: str, level: NoticeLevel = NoticeLevel.INFO) -> None:
        toast = QFrame()
        toast.setObjectName("Toast")
        row = QHBoxLayout(toast)
        row.setContentsMargins(10, 8, 14, 8)
        row.setSpacing(10)
        accent = QFrame()
        accent.setFixedSize(4, 18)
        accent.setStyleSheet(f"background: {_TOAST_ACCENT[level]}; border-radius: 2px;")
        label = QLabel(text)
        label.setObjectName("ToastText")
        label.setWordWrap(True)
        label.setMaximumWidth(420)
        row.addWidget(accent)
        row.addWidget(label, 1)
        self._column.addWidget(toast, 0, Qt.AlignmentFlag.AlignLeft)
        seconds = TOAST_SECONDS * (2 if level is not NoticeLevel.INFO else 1)
        self._items.append((time.monotonic() + seconds, toast))
        while len(self._items) > self.MAX:
            self._drop(0)
        if not self._timer.isActive():
            self._timer.start()
        self._fit()

    def _prune(self) -> None:
        now = time.monotonic()
        while self._items and self._items[0][0] <= now:
            self._drop(0)
        if not self._items:
            self._timer.stop()
        self._fit()

    def _drop(self, index: int) -> None:
        _, toast = self._items.pop(index)
        self._column.removeWidget(toast)
        toast.deleteLater()

    def clear(self) -> None:
        while self._items:
            self._drop(0)
        self._timer.stop()

    def _fit(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        self.setGeometry(16, 16, min(460, parent.width() - 32), parent.height() - 32)
        self.raise_()


class Banner(QFrame):
    """A pill at the top of the room: "Connecting…", "Reconnecting…"."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 6, 16, 6)
        self.label = QLabel()
        row.addWidget(self.label)
        self.hide()

    def show_text(self, text: str) -> None:
        self.label.setText(text)
        self.adjustSize()
        self.place()
        self.show()
        self.raise_()

    def place(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.move((parent.width() - self.width()) // 2, 14)


class HelpOverlay(QWidget):
    """Every shortcut on a card over a dimmed window; Esc, a click or the help key closes it."""

    closed = Signal()

    def __init__(self, parent: QWidget, shortcuts: Shortcuts) -> None:
        super().__init__(parent)
        self._shortcuts = shortcuts
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        outer = QVBoxLayout(self)
        outer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.card = QFrame()
        self.card.setProperty("card", True)
        self.card.setMinimumWidth(440)
        outer.addWidget(self.card, 0, Qt.AlignmentFlag.AlignCenter)
        self._grid = QGridLayout(self.card)
        self._grid.setContentsMargins(28, 22, 28, 22)
        self._grid.setHorizontalSpacing(32)
        self._grid.setVerticalSpacing(10)
        self.hide()
        parent.installEventFilter(self)

    def open_overlay(self) -> None:
        self._fill()
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()
        self.setFocus()

    def _fill(self) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        title = QLabel("Keyboard shortcuts")
        title.setProperty("role", "heading")
        self._grid.addWidget(title, 0, 0, 1, 2)
        for row, (action, info) in enumerate(ACTIONS.items(), start=1):
            label = QLabel(info.label)
            key = QLabel(self._shortcuts.key_text(action) or "not set")
            key.setProperty("role", "code")
            self._grid.addWidget(label, row, 0)
            self._grid.addWidget(key, row, 1, Qt.AlignmentFlag.AlignRight)
        note = QLabel("Change them in Settings → Shortcuts.")
        note.setProperty("role", "muted")
        self._grid.addWidget(note, len(ACTIONS) + 1, 0, 1, 2)
        close = QPushButton("Close")
        close.clicked.connect(self.close_overlay)
        self._grid.addWidget(close, len(ACTIONS) + 2, 1, Qt.AlignmentFlag.AlignRight)

    def close_overlay(self) -> None:
        if self.isVisible():
            self.hide()
            self.closed.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 150))
        painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.close_overlay()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if not self.card.geometry().contains(event.position().toPoint()):
            self.close_overlay()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self.parentWidget().rect())  # type: ignore[union-attr]
        return False

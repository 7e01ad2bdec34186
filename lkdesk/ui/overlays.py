"""Things drawn over the room: the connection banner and the shortcut help (toasts: toasts.py)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
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

from lkdesk.ui.shortcuts import ACTIONS, Shortcuts


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

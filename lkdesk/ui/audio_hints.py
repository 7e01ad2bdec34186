"""Pills over the room about the microphone: "You are muted" and "echo cancellation off"."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

MUTED_TEXT = "You are muted. Unmute to be heard."
ECHO_OFF_TEXT = "Echo cancellation is off: use headphones, or the others hear themselves."


class HintPill(QFrame):
    """A rounded note centred near the bottom of its parent (``row`` 0 is the lowest)."""

    def __init__(self, parent: QWidget, text: str, name: str, row: int = 0) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            f"#{name} {{ background: rgba(32, 33, 36, 230); border-radius: 16px; }}"
            f"#{name} QLabel {{ color: #ffe6a6; }}"
        )
        self._row = row
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 7, 16, 7)
        self.label = QLabel(text)
        layout.addWidget(self.label)
        parent.installEventFilter(self)
        self.hide()

    def set_shown(self, shown: bool) -> None:
        if shown:
            self.adjustSize()
            self._place()
            self.raise_()
        self.setVisible(shown)

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            y = parent.height() - 24 - (self.height() + 8) * (self._row + 1)
            self.move((parent.width() - self.width()) // 2, y)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

"""``EndedPage``: why the call ended, in plain words, with a way back."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from lkdesk.session import Status


class EndedPage(QWidget):
    rejoin_clicked = Signal()
    home_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        card = QFrame()
        card.setProperty("card", True)
        card.setMinimumWidth(460)
        card.setMaximumWidth(560)
        column = QVBoxLayout(card)
        column.setContentsMargins(32, 28, 32, 28)
        column.setSpacing(12)
        self.title = QLabel()
        self.title.setProperty("role", "title")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setProperty("role", "muted")
        column.addWidget(self.title)
        column.addWidget(self.message)
        column.addSpacing(8)
        buttons = QHBoxLayout()
        self.home = QPushButton("Back to start")
        self.home.clicked.connect(self.home_clicked.emit)
        self.rejoin = QPushButton("Rejoin")
        self.rejoin.setProperty("kind", "primary")
        self.rejoin.clicked.connect(self.rejoin_clicked.emit)
        buttons.addStretch(1)
        buttons.addWidget(self.home)
        buttons.addWidget(self.rejoin)
        column.addLayout(buttons)
        outer.addWidget(card)

    def show_status(self, status: Status, room: str) -> None:
        if status.by_user:
            self.title.setText("You left the call")
        else:
            self.title.setText("The call ended")
        self.message.setText(room if status.by_user or not status.message else status.message)
        self.rejoin.setVisible(status.can_rejoin)

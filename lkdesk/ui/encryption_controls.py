"""End-to-end encryption in the UI: the pre-join passphrase, the room's lock, a tile's note.

The passphrase is what LiveKit Meet puts after ``#`` in its links; everyone in the room
needs the same one. It is kept in the keyring with a saved server only when the user ticks
"Remember", and it is never shown in plain text unless asked.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from lkdesk.session import ProfileBook
from lkdesk.ui.resources import pixmap
from lkdesk.ui.theme import ROOM

CANNOT_DECRYPT = "Can't decrypt — different passphrase?"
LOCK_TEXT = "End-to-end encrypted"


class PassphraseControls(QWidget):
    """Pre-join: encrypt end to end with a passphrase, and whether to remember it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        self.enabled = QCheckBox("End-to-end encrypt with a passphrase")
        self.enabled.setToolTip(
            "Video, audio and the chat you send are encrypted so that only people with the "
            "same passphrase (LiveKit Meet: the part of its link after #) can read them."
        )
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("the room's passphrase")
        self.passphrase.textEdited.connect(lambda text: self.enabled.setChecked(bool(text)))
        self.show_text = QCheckBox("Show")
        self.show_text.toggled.connect(self._show_text)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.passphrase, 1)
        row.addWidget(self.show_text)
        self.remember = QCheckBox("Remember it with this server (system keyring)")
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        for item in (self.enabled, row, self.remember, self.error):
            if isinstance(item, QWidget):
                column.addWidget(item)
            else:
                column.addLayout(item)
        self.enabled.toggled.connect(self._sync)
        self._sync()

    def set_passphrase(self, text: str, *, can_remember: bool, remembered: bool) -> None:
        """Fill in a passphrase (from a link or the keyring); empty means no encryption."""
        self.passphrase.setText(text)
        self.enabled.setChecked(bool(text))
        self.remember.setVisible(can_remember)
        self.remember.setChecked(remembered)
        self.show_text.setChecked(False)
        self.error.hide()
        self._sync()

    def value(self) -> str | None:
        """The passphrase to join with, None without encryption (blank is the session's to
        refuse, with a message)."""
        return self.passphrase.text() if self.enabled.isChecked() else None

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.passphrase.setFocus()

    def _sync(self) -> None:
        on = self.enabled.isChecked()
        self.passphrase.setEnabled(on)
        self.show_text.setEnabled(on)
        self.remember.setEnabled(on)
        if not on:
            self.error.hide()

    def _show_text(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.passphrase.setEchoMode(mode)


class PassphraseKeeper:
    """Offers a saved server's remembered passphrase on the pre-join page, and keeps (or
    forgets) it when joining, as the "Remember" box says. Nothing is written unasked."""

    def __init__(self, book: ProfileBook | None) -> None:
        self._book = book
        self._profile_id = ""
        self._remembered = False

    async def offer(self, controls: PassphraseControls, profile_id: str, from_link: str) -> None:
        """Fill ``controls`` for a new pre-join (``from_link`` wins over a remembered one)."""
        book = self._book
        usable = book is not None and book.usable and bool(profile_id)
        remembered = await book.passphrase(profile_id) if usable and book is not None else ""
        self._profile_id = profile_id if usable else ""
        self._remembered = bool(remembered)
        controls.set_passphrase(
            from_link or remembered, can_remember=usable, remembered=bool(remembered)
        )

    async def keep(self, controls: PassphraseControls) -> None:
        """On join: remember the passphrase with the server, or forget a remembered one."""
        book, profile_id = self._book, self._profile_id
        if book is None or not profile_id:
            return
        passphrase = controls.value()
        if controls.remember.isChecked() and passphrase:
            await book.remember_passphrase(profile_id, passphrase)
            self._remembered = True
        elif self._remembered:
            await book.remember_passphrase(profile_id, None)
            self._remembered = False


class LockBadge(QWidget):
    """The room header's lock: shown only while the call is end-to-end encrypted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.icon = QLabel()
        self.icon.setPixmap(pixmap("lock", "#7fd18b", 14))
        self.text = QLabel(LOCK_TEXT)
        self.text.setObjectName("LockText")
        self.text.setStyleSheet("color: #7fd18b;")
        row.addWidget(self.icon)
        row.addWidget(self.text)
        row.addStretch(1)
        self.setAccessibleName(LOCK_TEXT)
        self.hide()

    def show_note(self, note: str) -> None:
        """``note``: what is encrypted, in words ("" hides the lock)."""
        self.setToolTip(note)
        self.setVisible(bool(note))


def paint_cannot_decrypt(painter: QPainter, rect: QRectF) -> None:
    """A tile whose frames cannot be decrypted says so instead of staying black."""
    painter.save()
    painter.fillRect(rect, QColor(ROOM.tile))
    size = 28
    icon_at = QRectF(rect.center().x() - size / 2, rect.center().y() - size - 6, size, size)
    painter.drawPixmap(icon_at.topLeft(), pixmap("lock", "#f2b84b", size))
    painter.setPen(QColor("#f2b84b"))
    text = QRectF(rect.x() + 12, rect.center().y() + 2, rect.width() - 24, rect.height() / 3)
    painter.drawText(text, Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap, CANNOT_DECRYPT)
    painter.restore()

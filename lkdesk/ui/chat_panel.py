"""``ChatPanel``: the call's chat: history, sender and time, links, files with progress."""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import ChatDelivery, ChatEntry, Feature, FileTransfer, TransferState
from lkdesk.ui.resources import icon
from lkdesk.ui.theme import ROOM
from lkdesk.ui.transcript_view import TranscriptView, chat_tabs

_URL = re.compile(r"(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])")
FILE_SCHEME = "lkdesk-file"
RETRY_SCHEME = "lkdesk-retry"


def linkify(text: str) -> str:
    """Escape ``text`` for HTML and turn http(s) URLs into links."""
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        parts.append(html.escape(text[last : match.start()]))
        url = match.group(1)
        parts.append(f'<a href="{html.escape(url)}" style="color:#8ab4ff">{html.escape(url)}</a>')
        last = match.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts).replace("\n", "<br>")


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _body(message: ChatEntry) -> str:
    """One message's text (or file) and, for ours, how its delivery stands."""
    if message.attachment is not None:
        a = message.attachment
        return (
            f'<p style="margin:2px 0">File: <b>{html.escape(a.file_name)}</b> '
            f'<span style="color:{ROOM.muted}">({human_size(a.size)})</span> &nbsp;'
            f'<a href="{FILE_SCHEME}:{a.transfer_id}">Save…</a></p>'
        )
    text = linkify(message.text)
    if message.delivery is ChatDelivery.SENDING:
        return (
            f'<p style="margin:2px 0; color:{ROOM.muted}">{text}'
            f'&nbsp;&nbsp;<i style="font-size:small">Sending…</i></p>'
        )
    if message.delivery is ChatDelivery.FAILED:
        reason = html.escape(message.error or "the connection failed")
        return (
            f'<p style="margin:2px 0">{text}</p>'
            f'<p style="margin:0 0 2px 0; color:#f28b82; font-size:small">Not sent: {reason} '
            f'&nbsp;<a href="{RETRY_SCHEME}:{html.escape(message.id)}">Try again</a></p>'
        )
    return f'<p style="margin:2px 0">{text}</p>'


class TransferRow(QWidget):
    """A file on its way: name, direction, progress."""

    def __init__(self, transfer: FileTransfer) -> None:
        super().__init__()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 4, 0, 4)
        column.setSpacing(4)
        self.label = QLabel()
        self.label.setProperty("role", "muted")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        column.addWidget(self.label)
        column.addWidget(self.bar)
        self.update_from(transfer)

    def update_from(self, transfer: FileTransfer) -> None:
        verb = "Sending" if transfer.outgoing else f"Receiving from {transfer.peer_name}:"
        self.label.setText(f"{verb} {transfer.file_name}")
        fraction = transfer.fraction
        if fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(fraction * 1000))


class ChatPanel(QWidget):
    """Shows messages; emits what the user wants to send or save."""

    send_text = Signal(str)
    send_file = Signal(object)  # Path
    save_file = Signal(str, object)  # transfer id, Path
    retry_message = Signal(str)  # message id
    close_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._last_sender: tuple[str, datetime] | None = None
        self._blocks: dict[str, tuple[str, ChatEntry]] = {}  # id -> (heading, message)
        self._transfers: dict[str, TransferRow] = {}
        self._file_names: dict[str, str] = {}
        self._dialog: QFileDialog | None = None
        column = QVBoxLayout(self)
        column.setContentsMargins(18, 14, 16, 16)
        column.setSpacing(8)
        header = QHBoxLayout()
        title = QLabel("Chat")
        title.setProperty("role", "heading")
        close = QToolButton()
        close.setIcon(icon("close", ROOM.text, 18))
        close.setToolTip("Close chat")
        close.clicked.connect(self.close_clicked.emit)
        self.history_button = QToolButton()  # shown once a history view is attached
        self.history_button.setIcon(icon("search", ROOM.text, 18))
        self.history_button.setToolTip("Search this room's history")
        self.history_button.setCheckable(True)
        self.history_button.toggled.connect(self.show_history)
        self.history_button.hide()
        self.history: QWidget | None = None
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.history_button)
        header.addWidget(close)
        column.addLayout(header)
        hint = QLabel(
            "Messages are visible to everyone in the call; lkdesk keeps them on this "
            "computer while history is on (Settings → Privacy)."
        )
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)
        column.addWidget(hint)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._link_clicked)
        self.browser.document().setDefaultStyleSheet("a { color: #8ab4ff; }")
        self.transcript = TranscriptView()  # chat and captions of the call, searchable
        self.tabs = chat_tabs()  # Messages | Transcript
        pages = QStackedWidget()
        pages.addWidget(self.browser)
        pages.addWidget(self.transcript)
        self.tabs.currentChanged.connect(pages.setCurrentIndex)
        column.addWidget(self.tabs)
        column.addWidget(pages, 1)
        self._transfer_box = QVBoxLayout()
        column.addLayout(self._transfer_box)
        self.unavailable = QLabel()
        self.unavailable.setWordWrap(True)
        self.unavailable.setProperty("role", "muted")
        self.unavailable.hide()
        column.addWidget(self.unavailable)
        column.addLayout(self._composer())

    def _composer(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(4)
        self.attach = QToolButton()
        self.attach.setIcon(icon("attach", ROOM.text, 20, disabled="#5c616b"))
        self.attach.setIconSize(QSize(20, 20))
        self.attach.setToolTip("Send a file")
        self.attach.clicked.connect(self._pick_file)
        self.input = QLineEdit()
        self.input.setPlaceholderText("Send a message to everyone")
        self.input.returnPressed.connect(self._send)
        self.send = QToolButton()
        self.send.setIcon(icon("send", ROOM.speaking, 20, disabled="#5c616b"))
        self.send.setIconSize(QSize(20, 20))
        self.send.setToolTip("Send (Enter)")
        self.send.clicked.connect(self._send)
        row.addWidget(self.attach)
        row.addWidget(self.input, 1)
        row.addWidget(self.send)
        return row

    def attach_history(self, view: QWidget) -> None:
        """Offer ``view`` (history_view.HistoryView) in place of the live chat."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.indexOf(self.browser) + 1, view, 1)
        view.hide()
        self.history = view
        self.history_button.show()

    def show_history(self, shown: bool) -> None:
        if self.history is None:
            return
        self.history_button.setChecked(shown)
        self.history.setVisible(shown)
        self.browser.setVisible(not shown)
        if shown:
            self.history.search()  # type: ignore[attr-defined]

    # ----- state ----------------------------------------------------------------------------

    def set_features(self, chat: Feature, files: Feature) -> None:
        self.input.setEnabled(chat.available)
        self.send.setEnabled(chat.available)
        self.attach.setEnabled(files.available)
        if not files.available:
            self.attach.setToolTip(f"Send a file: not available. {files.reason}")
        reason = chat.reason if not chat.available else ""
        self.unavailable.setText(reason)
        self.unavailable.setVisible(bool(reason))

    def add_message(self, message: ChatEntry) -> None:
        when = message.sent_at.astimezone()
        grouped = (
            self._last_sender is not None
            and self._last_sender[0] == message.sender_identity
            and (when - self._last_sender[1]).total_seconds() < 120
        )
        self._last_sender = (message.sender_identity, when)
        heading = ""
        if not grouped:
            name = "You" if message.is_local else message.sender_name
            top = 14 if self._blocks else 0
            heading = (
                f'<p style="margin-top:{top}px; margin-bottom:3px"><b>{html.escape(name)}</b>'
                f'&nbsp;&nbsp;<span style="color:{ROOM.muted}">{when:%H:%M}</span></p>'
            )
        if message.attachment is not None:
            self._file_names[message.attachment.transfer_id] = message.attachment.file_name
        self._blocks[message.id] = (heading, message)
        self._render(scroll_to_end=message.is_local)

    def update_message(self, message: ChatEntry) -> None:
        """A message already shown changed (its delivery state, or an edit)."""
        entry = self._blocks.get(message.id)
        if entry is None:
            self.add_message(message)
            return
        self._blocks[message.id] = (entry[0], message)
        self._render(scroll_to_end=False)

    def _render(self, *, scroll_to_end: bool) -> None:
        bar = self.browser.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        document = "".join(heading + _body(message) for heading, message in self._blocks.values())
        self.browser.setHtml(document)  # whole document: margins stay exact
        if at_end or scroll_to_end:
            bar.setValue(bar.maximum())

    def update_transfer(self, transfer: FileTransfer) -> None:
        row = self._transfers.get(transfer.id)
        if transfer.state is not TransferState.ACTIVE:
            if row is not None:
                self._transfer_box.removeWidget(row)
                row.deleteLater()
                del self._transfers[transfer.id]
            return
        if row is None:
            row = TransferRow(transfer)
            self._transfers[transfer.id] = row
            self._transfer_box.addWidget(row)
        row.update_from(transfer)

    # ----- user input ---------------------------------------------------------------------------

    def _send(self) -> None:
        text = self.input.text().strip()
        if text:
            self.send_text.emit(text)
            self.input.clear()

    def _pick_file(self) -> None:
        dialog = QFileDialog(self, "Send a file to everyone")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.send_file.emit(Path(path)))
        self._open_dialog(dialog)

    def _link_clicked(self, url: QUrl) -> None:
        if url.scheme() == RETRY_SCHEME:
            self.retry_message.emit(url.path())
        elif url.scheme() == FILE_SCHEME:
            transfer_id = url.path()
            dialog = QFileDialog(self, "Save the file")
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.selectFile(self._file_names.get(transfer_id, "file"))
            dialog.fileSelected.connect(lambda path: self.save_file.emit(transfer_id, Path(path)))
            self._open_dialog(dialog)
        elif url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)

    def _open_dialog(self, dialog: QFileDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialog = dialog
        dialog.open()

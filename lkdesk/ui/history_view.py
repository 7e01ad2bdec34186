"""``HistoryView``: the chat history of this room kept on this computer, searchable.

Shown in the chat panel in place of the live chat (the magnifier in its header): messages
of earlier calls in the same room on the same server, filtered as the user types, and the
files received here with where each was saved. "Forget this room" deletes both. The
database work happens in the session layer's worker threads; this view only asks.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import Session
from lkdesk.session.history import ChatHistory, HistoryFile, HistoryMessage
from lkdesk.ui.chat_panel import human_size, linkify
from lkdesk.ui.theme import ROOM


class HistoryView(QWidget):
    """Search box, results, received files, and "Forget this room"."""

    searched = Signal()  # results shown (tests wait for it)

    def __init__(self, run: Any = None) -> None:
        super().__init__()
        self._run = run  # ActionRunner.run, set by the chat panel's owner
        self._history: ChatHistory | None = None
        self._where: tuple[str, str] = ("", "")
        self.query = QLineEdit()
        self.query.setPlaceholderText("Search this room's history")
        self.query.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.search)
        self.query.textChanged.connect(lambda _t: self._debounce.start())
        self.results = QTextBrowser()
        self.results.setOpenExternalLinks(True)
        self.files_label = QLabel("Files received here")
        self.files_label.setProperty("role", "muted")
        self.files = QTextBrowser()
        self.files.setMaximumHeight(110)
        self.forget = QPushButton("Forget this room")
        self.forget.setProperty("kind", "danger")
        self.forget.clicked.connect(self._forget_clicked)
        self.status = QLabel()
        self.status.setProperty("role", "muted")
        self.status.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addWidget(self.query)
        column.addWidget(self.results, 1)
        column.addWidget(self.files_label)
        column.addWidget(self.files)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.forget, 0, Qt.AlignmentFlag.AlignRight)
        column.addLayout(row)
        self._armed = False

    def bind(self, history: ChatHistory, session: Session) -> None:
        self._history = history
        self._where = (session.server_label, session.room_name)
        self.query.clear()
        self.results.clear()
        self.files.clear()
        self.status.clear()

    def unbind(self) -> None:
        self._history = None
        self._debounce.stop()

    def search(self) -> None:
        """Show this room's messages containing the query, and its received files."""
        history, run = self._history, self._run
        if history is None or run is None:
            return
        server, room = self._where
        text = self.query.text()

        async def search() -> None:
            messages = await history.search(server, room, text)
            files = await history.files(server, room)
            self._show(messages, files, text)

        run(search(), "search the chat history", on_error=self.status.setText)

    def _show(
        self, messages: tuple[HistoryMessage, ...], files: tuple[HistoryFile, ...], text: str
    ) -> None:
        rows = []
        for m in messages:
            when = m.sent_at.astimezone()
            who = "You" if m.is_local else html.escape(m.sender_name)
            rows.append(
                f'<p style="margin:2px 0 6px 0"><b>{who}</b> '
                f'<span style="color:{ROOM.muted}">{when:%Y-%m-%d %H:%M}</span><br>'
                f"{linkify(m.text)}</p>"
            )
        self.results.setHtml("".join(rows) or "<p>No messages kept for this room match.</p>")
        listed = [
            f"<p style='margin:2px 0'><b>{html.escape(f.file_name)}</b> ({human_size(f.size)}) "
            f"from {html.escape(f.peer_name)}: "
            + (f"saved to <code>{html.escape(f.saved_to)}</code>" if f.saved_to else "not saved")
            + "</p>"
            for f in files
        ]
        self.files.setHtml("".join(listed) or "<p>None.</p>")
        found = f"{len(messages)} message(s)" + (f" containing “{text}”" if text.strip() else "")
        self.status.setText(found)
        self.searched.emit()

    def _forget_clicked(self) -> None:
        if not self._armed:
            self._armed = True
            self.forget.setText("Click again to forget")
            return
        self._armed = False
        self.forget.setText("Forget this room")
        history, run = self._history, self._run
        if history is None or run is None:
            return
        server, room = self._where

        async def forget() -> None:
            gone = await history.forget_room(server, room)
            self.status.setText(f"Forgot {gone} message(s) of this room.")
            self.results.clear()
            self.files.clear()

        run(forget(), "forget this room's history", on_error=self.status.setText)

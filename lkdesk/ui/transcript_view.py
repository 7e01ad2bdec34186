"""``TranscriptView``: the call's chat and captions in one timeline, with a search box.

The session does the merging and the searching (``Session.transcript(query)``); this view
shows the result: time, speaker, text, spoken lines marked as such and text still being
transcribed in grey italics.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QTabBar, QTextBrowser, QVBoxLayout, QWidget

from lkdesk.session.transcript import EntryKind, TranscriptEntry
from lkdesk.ui.theme import ROOM


def chat_tabs() -> QTabBar:
    """The chat panel's "Messages | Transcript" switch."""
    tabs = QTabBar()
    tabs.setObjectName("ChatTabs")
    tabs.addTab("Messages")
    tabs.addTab("Transcript")
    tabs.setDrawBase(False)
    tabs.setStyleSheet(
        f"QTabBar::tab {{ background: transparent; color: {ROOM.muted}; padding: 4px 12px; }}"
        f"QTabBar::tab:selected {{ color: {ROOM.text}; border-bottom: 2px solid {ROOM.speaking}; }}"
    )
    return tabs


class TranscriptView(QWidget):
    """Emits ``query_changed`` as the user types; :meth:`set_entries` shows the matches."""

    query_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search messages and captions")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda text: self.query_changed.emit(text))
        self.count = QLabel()
        self.count.setProperty("role", "muted")
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        column.addWidget(self.search)
        column.addWidget(self.count)
        column.addWidget(self.browser, 1)
        self.entries: tuple[TranscriptEntry, ...] = ()

    @property
    def query(self) -> str:
        return self.search.text()

    def set_entries(self, entries: tuple[TranscriptEntry, ...]) -> None:
        self.entries = entries
        bar = self.browser.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        if not entries:
            empty = "Nothing matches." if self.query.strip() else "Nothing said or written yet."
            self.browser.setHtml(f'<p style="color:{ROOM.muted}">{empty}</p>')
        else:
            self.browser.setHtml("".join(_row(e, self.query) for e in entries))
        spoken = sum(1 for e in entries if e.kind is EntryKind.CAPTION)
        written = len(entries) - spoken
        found = "found: " if self.query.strip() else ""
        self.count.setText(f"{found}{_count(written, 'message')}, {_count(spoken, 'spoken line')}")
        if at_end:
            bar.setValue(bar.maximum())


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _highlight(text: str, query: str) -> str:
    """``text`` escaped, with every occurrence of a query word marked (any case)."""
    words = sorted({w for w in query.split() if w}, key=len, reverse=True)
    if not words:
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, start = [], 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[start : match.start()]))
        out.append(f'<span style="background:#4a3d12">{html.escape(match.group())}</span>')
        start = match.end()
    out.append(html.escape(text[start:]))
    return "".join(out)


def _row(entry: TranscriptEntry, query: str) -> str:
    when = entry.at.astimezone()
    spoken = entry.kind is EntryKind.CAPTION
    mark = f' <span style="color:{ROOM.muted}">(spoken)</span>' if spoken else ""
    style = "" if entry.final else f"color:{ROOM.muted}; font-style:italic;"
    return (
        f'<p style="margin:6px 0 0 0"><span style="color:{ROOM.muted}">{when:%H:%M}</span>'
        f"&nbsp; <b>{html.escape(entry.speaker_name)}</b>{mark}<br>"
        f'<span style="{style}">{_highlight(entry.text, query)}</span></p>'
    )

"""``CaptionsView``: the last lines of transcribed speech at the bottom of the video area.

Each line names its speaker; text still being transcribed is grey and italic, final text
white. A line leaves once it has been final for a while, so the grid is not covered when
nobody speaks. One timer prunes old lines and runs only while lines are shown.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from lkdesk.session.captions import CaptionLine

MAX_LINES = 3
LINGER_S = 8.0  # a final line stays this long after its last change
IDLE_INTERIM_S = 20.0  # an interim line nobody finished leaves after this
MAX_WIDTH = 860
PILL_CLEARANCE = 44  # the tiles' name pills sit in their bottom 42 px
SIDE = 24

Room = Callable[[], tuple[QRect | None, int]]  # a panel to keep clear of, lowest tile bottom


class CaptionsView(QWidget):
    """Shows recent :class:`CaptionLine`s over the bottom of ``parent`` while enabled."""

    def __init__(self, parent: QWidget, room: Room | None = None) -> None:
        super().__init__(parent)
        self._room = room
        self.setObjectName("Captions")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(
            "#Captions { background: rgba(10, 12, 16, 200); border-radius: 12px; }"
            "#Captions QLabel { color: #ffffff; font-size: 13pt; background: transparent; }"
        )
        self.enabled = False
        self.linger_s = LINGER_S
        self._lines: dict[str, tuple[CaptionLine, float]] = {}  # id -> line, last change
        column = QVBoxLayout(self)
        column.setContentsMargins(18, 10, 18, 12)
        self.label = QLabel()
        self.label.setObjectName("CaptionsText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        column.addWidget(self.label)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._prune)
        parent.installEventFilter(self)
        self.hide()

    # ----- state ---------------------------------------------------------------------------

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        self._refresh()

    def clear(self) -> None:
        self._lines.clear()
        self._refresh()

    def show_line(self, line: CaptionLine) -> None:
        """A new or updated line (from the session's ``caption`` event)."""
        self._lines[line.id] = (line, time.monotonic())
        while len(self._lines) > MAX_LINES:
            del self._lines[next(iter(self._lines))]
        self._refresh()

    def texts(self) -> list[tuple[str, str, bool]]:
        """(speaker, text, final) of the lines shown, oldest first (for tests)."""
        return [(ln.speaker_name, ln.text, ln.final) for ln, _ in self._lines.values()]

    # ----- rendering -----------------------------------------------------------------------

    def _prune(self) -> None:
        now = time.monotonic()
        for key, (line, changed) in list(self._lines.items()):
            if now - changed > (self.linger_s if line.final else IDLE_INTERIM_S):
                del self._lines[key]
        self._refresh()

    def _refresh(self) -> None:
        visible = self.enabled and bool(self._lines)
        if not visible:
            self._timer.stop()
            self.hide()
            return
        rows = []
        for line, _changed in self._lines.values():
            name = html.escape("You" if line.is_local else line.speaker_name)
            text = html.escape(line.text)
            style = "" if line.final else "color:#c8ccd4; font-style:italic;"
            speaker = f'<b style="color:#9fbaff">{name}</b>'
            rows.append(f'<div>{speaker}&nbsp; <span style="{style}">{text}</span></div>')
        self.label.setText("".join(rows))
        self.place()
        if not self.isVisible():
            self.show()
            self.raise_()
        if not self._timer.isActive():
            self._timer.start()

    def place(self) -> None:
        """Centred above the lowest tiles' name pills, clear of an open side panel."""
        parent = self.parentWidget()
        if parent is None:
            return
        panel, tiles_bottom = self._room() if self._room is not None else (None, parent.height())
        right = panel.left() - 16 if panel is not None else parent.width() - SIDE
        width = max(min(MAX_WIDTH, right - SIDE), 200)
        margins = self.layout().contentsMargins()  # type: ignore[union-attr]
        text_height = self.label.heightForWidth(width - margins.left() - margins.right())
        self.setFixedSize(width, text_height + margins.top() + margins.bottom())
        x = SIDE + (right - SIDE - width) // 2
        bottom = min(tiles_bottom - PILL_CLEARANCE, parent.height() - 8)
        self.move(x, max(bottom - self.height(), 8))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.place()
        return False

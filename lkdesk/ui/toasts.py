"""Toasts: short messages over the room ("Ben joined"), sized to their text.

Each toast wraps its text to at most three lines (the rest is elided, the whole text is
its tooltip), is as wide as it needs, and closes with its × or a click. The stack goes to
the first corner or edge of the video area where it covers no tile's name, mute icon,
quality bars or pin (the room page says where those are), newest at the bottom.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QRect, QSize, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QMouseEvent, QTextLayout
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from lkdesk.session import NoticeLevel
from lkdesk.ui.resources import icon

TOAST_SECONDS = 4.0
MAX_LINES = 3
MAX_WIDTH = 420
MARGIN = 16
SPACING = 6
_ACCENT = {
    NoticeLevel.INFO: "#5b8cff",
    NoticeLevel.WARNING: "#f0b44c",
    NoticeLevel.ERROR: "#ea4335",
}
# left/right padding, accent bar, close button and the gaps between them
_CHROME_W = 10 + 4 + 10 + 10 + 22 + 8
_CHROME_H = 8 + 8


def wrap_lines(text: str, font: QFont, width: int, max_lines: int) -> list[str]:
    """``text`` word-wrapped to ``width`` pixels; past ``max_lines`` the last one is elided."""
    metrics = QFontMetrics(font)
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        layout = QTextLayout(paragraph, font)
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            lines.append(paragraph[line.textStart() : line.textStart() + line.textLength()])
        layout.endLayout()
    lines = [line.rstrip() for line in lines]
    if len(lines) <= max_lines:
        return lines
    rest = " ".join(lines[max_lines - 1 :])
    elided = metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)
    return [*lines[: max_lines - 1], elided]


class Toast(QFrame):
    """One message: an accent bar for its level, up to three lines, and a close button."""

    def __init__(
        self, text: str, level: NoticeLevel, on_close: Callable[[Toast], None], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setObjectName("Toast")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.full_text = text
        self.level = level
        self._on_close = on_close
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 8, 8)
        row.setSpacing(10)
        accent = QFrame()
        accent.setFixedWidth(4)
        accent.setStyleSheet(f"background: {_ACCENT[level]}; border-radius: 2px;")
        self.label = QLabel()
        self.label.setObjectName("ToastText")
        self.close_button = QToolButton()
        self.close_button.setObjectName("ToastClose")
        self.close_button.setIcon(icon("close", "#c9ced6", 14))
        self.close_button.setIconSize(QSize(14, 14))
        self.close_button.setFixedSize(22, 22)
        self.close_button.setToolTip("Dismiss")
        self.close_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.close_button.clicked.connect(lambda: self._on_close(self))
        row.addWidget(accent)
        row.addWidget(self.label, 1)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.lines: list[str] = []
        self.fit(MAX_WIDTH)

    @property
    def elided(self) -> bool:
        return " ".join(self.lines).replace("…", "") != " ".join(self.full_text.split())

    def fit(self, max_width: int) -> None:
        """Lay the text out for at most ``max_width`` pixels and size the toast to it."""
        self.label.ensurePolished()
        metrics = QFontMetrics(self.label.font())
        text_w = max(max_width - _CHROME_W, 60)
        self.lines = wrap_lines(self.full_text, self.label.font(), text_w, MAX_LINES)
        self.label.setText("\n".join(self.lines))
        self.setToolTip(self.full_text if self.elided else "")
        widest = max((metrics.horizontalAdvance(line) for line in self.lines), default=0)
        height = max(self.label.sizeHint().height(), 22) + _CHROME_H + 2
        self.setFixedSize(min(widest + _CHROME_W + 2, max_width), height)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._on_close(self)


class Toasts:
    """The room's toasts over ``area``; ``obstacles()`` gives rects (area coordinates) to
    keep clear. One timer prunes them, idle when there is none."""

    MAX = 4

    def __init__(self, area: QWidget, obstacles: Callable[[], list[QRect]] = list) -> None:
        self._area = area
        self._obstacles = obstacles
        self._items: list[tuple[float, Toast]] = []
        self._timer = QTimer(area)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._prune)
        self.stack_rect = QRect()

    def texts(self) -> list[str]:
        return [toast.full_text for _, toast in self._items]

    def toasts(self) -> list[Toast]:
        return [toast for _, toast in self._items]

    def show_toast(self, text: str, level: NoticeLevel = NoticeLevel.INFO) -> Toast:
        toast = Toast(text, level, self.dismiss, self._area)
        seconds = TOAST_SECONDS * (2 if level is not NoticeLevel.INFO else 1)
        self._items.append((time.monotonic() + seconds, toast))
        while len(self._items) > self.MAX:
            self._drop(0)
        if not self._timer.isActive():
            self._timer.start()
        self.place()
        toast.show()
        return toast

    def dismiss(self, toast: Toast) -> None:
        for index, (_, item) in enumerate(self._items):
            if item is toast:
                self._drop(index)
                break
        self.place()

    def _prune(self) -> None:
        now = time.monotonic()
        while self._items and self._items[0][0] <= now:
            self._drop(0)
        if not self._items:
            self._timer.stop()
        self.place()

    def _drop(self, index: int) -> None:
        _, toast = self._items.pop(index)
        toast.hide()
        toast.deleteLater()

    def clear(self) -> None:
        while self._items:
            self._drop(0)
        self._timer.stop()

    def place(self) -> None:
        """Put the stack where it covers none of the obstacles (or as little as can be)."""
        toasts = self.toasts()
        if not toasts:
            self.stack_rect = QRect()
            return
        max_width = min(MAX_WIDTH, self._area.width() - 2 * MARGIN)
        for toast in toasts:
            toast.fit(max_width)
        width = max(t.width() for t in toasts)
        height = sum(t.height() for t in toasts) + SPACING * (len(toasts) - 1)
        stack = best_spot(
            QRect(0, 0, self._area.width(), self._area.height()),
            QSize(width, height),
            self._obstacles(),
        )
        self.stack_rect = stack
        y = stack.y()
        on_right = stack.center().x() > self._area.width() // 2 + 1
        for toast in toasts:
            x = stack.right() - toast.width() + 1 if on_right else stack.x()
            toast.move(x, y)
            toast.raise_()
            y += toast.height() + SPACING


def best_spot(area: QRect, size: QSize, obstacles: list[QRect]) -> QRect:
    """The first of the corners and edge centres where ``size`` overlaps no obstacle."""
    w, h = size.width(), size.height()
    left, right = area.x() + MARGIN, area.right() - MARGIN - w + 1
    centre = area.x() + (area.width() - w) // 2
    top, bottom = area.y() + MARGIN, area.bottom() - MARGIN - h + 1
    candidates = [QRect(x, y, w, h) for y in (top, bottom) for x in (left, centre, right)]

    def overlap(rect: QRect) -> int:
        return sum(
            (rect & ob).width() * (rect & ob).height() for ob in obstacles if rect.intersects(ob)
        )

    return min(candidates, key=overlap)  # min keeps the first of equals: top-left first

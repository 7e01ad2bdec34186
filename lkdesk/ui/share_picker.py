"""``SharePicker``: choose a screen or a window to share, with live thumbnails.

Opened with ``open()``; emits ``chosen(source_id, with_audio)``. Thumbnails refresh every
second while the dialog is open (one grab per source, off the event loop); the timer
stops when the dialog closes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import Feature, Session, ShareKind, ShareSource
from lkdesk.ui.actions import ActionRunner
from lkdesk.ui.widgets import label

THUMB_W, THUMB_H = 224, 126
COLUMNS = 3
REFRESH_MS = 1000


class SourceCard(QToolButton):
    """A thumbnail and a title; checkable, one of a group."""

    def __init__(self, source: ShareSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.setObjectName("ShareSource")
        self.setCheckable(True)
        self.setAutoExclusive(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        self.setIconSize(QSize(THUMB_W, THUMB_H))
        self.setFixedSize(THUMB_W + 20, THUMB_H + 48)
        metrics = self.fontMetrics()
        size = f"  {source.width}×{source.height}" if source.width else ""
        self.setText(metrics.elidedText(source.title, Qt.TextElideMode.ElideRight, THUMB_W - 8))
        self.setToolTip(f"{source.title}{size}")
        self.has_picture = False
        blank = QPixmap(THUMB_W, THUMB_H)
        blank.fill(Qt.GlobalColor.black)
        self.setIcon(blank)

    def set_picture(self, rgb: Any) -> None:
        height, width = rgb.shape[:2]
        image = QImage(rgb.data, width, height, int(rgb.strides[0]), QImage.Format.Format_RGB888)
        picture = QPixmap.fromImage(image.copy()).scaled(
            THUMB_W,
            THUMB_H,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        canvas = QPixmap(THUMB_W, THUMB_H)
        canvas.fill(Qt.GlobalColor.black)
        painter = QPainter(canvas)
        painter.drawPixmap(
            (THUMB_W - picture.width()) // 2, (THUMB_H - picture.height()) // 2, picture
        )
        painter.end()
        self.setIcon(canvas)
        self.has_picture = True


class SharePicker(QDialog):
    """Lists the session's share sources by kind; Share is enabled once one is chosen."""

    chosen = Signal(str, bool)  # source id, share computer audio

    def __init__(
        self, parent: QWidget, session: Session, runner: ActionRunner, audio: Feature
    ) -> None:
        super().__init__(parent)
        self.setObjectName("SharePicker")
        self.setWindowTitle("Share your screen")
        self.setModal(True)
        self._session = session
        self._runner = runner
        self.cards: dict[str, SourceCard] = {}
        column = QVBoxLayout(self)
        column.setContentsMargins(22, 18, 22, 18)
        column.setSpacing(10)
        column.addWidget(label("Choose what to share", "heading"))
        column.addWidget(
            label(
                "Everyone in the call sees it. lkdesk's own window is not offered: sharing it "
                "would show an endless mirror.",
                "muted",
            )
        )
        self.status = label("Looking for screens and windows…", "muted")
        column.addWidget(self.status)
        self._grid_host = QWidget()
        self._grid = QVBoxLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._grid_host)
        scroll.setMinimumSize(3 * (THUMB_W + 32), THUMB_H + 90)
        column.addWidget(scroll, 1)
        self.audio = QCheckBox("Also share computer audio (what your speakers play)")
        self.audio.setEnabled(audio.available)
        self.audio.setToolTip(audio.reason if not audio.available else "")
        self.minimise = QCheckBox("Minimise lkdesk while sharing a whole screen")
        self.minimise.setChecked(True)
        column.addWidget(self.audio)
        column.addWidget(self.minimise)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.share_button = QPushButton("Share")
        self.share_button.setProperty("kind", "primary")
        self.share_button.setEnabled(False)
        self.share_button.clicked.connect(self._share)
        buttons.addWidget(cancel)
        buttons.addWidget(self.share_button)
        column.addLayout(buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh_thumbnails)
        self.finished.connect(lambda _: self._timer.stop())

    def load(self) -> None:
        """List the sources (then keep their thumbnails fresh while open)."""

        async def load() -> None:
            sources = await self._session.share_sources()
            self._fill(sources)
            self.refresh_thumbnails()
            if self.isVisible():
                self._timer.start()

        self._runner.run(load(), "list the screens and windows", on_error=self._failed)

    def _failed(self, message: str) -> None:
        self.status.setText(message)
        self.status.setProperty("role", "error")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def _fill(self, sources: tuple[ShareSource, ...]) -> None:
        for kind, title in (
            (ShareKind.SCREEN, "Entire screen"),
            (ShareKind.WINDOW, "Application windows"),
        ):
            group = [s for s in sources if s.kind is kind]
            if not group:
                continue
            self._grid.addWidget(label(title, "heading"))
            grid = QGridLayout()
            grid.setHorizontalSpacing(10)
            grid.setVerticalSpacing(10)
            for i, source in enumerate(group):
                card = SourceCard(source)
                card.toggled.connect(self._picked)
                self.cards[source.id] = card
                grid.addWidget(card, i // COLUMNS, i % COLUMNS, Qt.AlignmentFlag.AlignLeft)
            self._grid.addLayout(grid)
        self._grid.addStretch(1)
        windows = sum(1 for s in sources if s.kind is ShareKind.WINDOW)
        self.status.setText(
            f"{len(sources) - windows} screen(s) and {windows} window(s)."
            if sources
            else "Nothing to share was found."
        )

    def _picked(self, on: bool) -> None:
        if on:
            self.share_button.setEnabled(True)

    def refresh_thumbnails(self) -> None:
        if not self.cards or self._refreshing:
            return
        self._refreshing = True

        async def refresh() -> None:
            try:
                for source_id, card in list(self.cards.items()):
                    picture = await self._session.share_thumbnail(source_id, THUMB_W)
                    if picture is not None and source_id in self.cards:
                        card.set_picture(picture)
            finally:
                self._refreshing = False

        self._runner.run(refresh(), "show the thumbnails", on_error=self._failed)

    _refreshing = False

    def selected(self) -> ShareSource | None:
        return next((c.source for c in self.cards.values() if c.isChecked()), None)

    def _share(self) -> None:
        source = self.selected()
        if source is not None:
            self._timer.stop()
            self.chosen.emit(source.id, self.audio.isChecked() and self.audio.isEnabled())
            self.accept()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._timer.stop()
        super().closeEvent(event)

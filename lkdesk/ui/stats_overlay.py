"""Connection details: a panel for the whole call and a small box on any tile.

Like Meet's troubleshooting panel: the figures of every stream (codec, size, frame rate,
bitrate, loss, jitter, round trip, codec and conversion time per frame) refreshed every
second, and the session's warnings in plain words. The session measures only while one of
these is open (``watch_connection_details``).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session.call_stats import CallDetails, TrackDetails
from lkdesk.session.model import TileKey
from lkdesk.ui.resources import icon
from lkdesk.ui.theme import ROOM

PANEL_WIDTH = 430
WARN = "#f0b44c"
GOOD = "#4cc27a"


def bitrate(bps: float) -> str:
    if bps >= 1e6:
        return f"{bps / 1e6:.1f} Mbps"
    return f"{bps / 1e3:.0f} kbps"


def percent(share: float) -> str:
    return f"{share * 100:.1f} %"


def describe(track: TrackDetails) -> str:
    """One stream in a line: "VP8 · 640×480 · 25 fps · 412 kbps · loss 0.0 % · …"."""
    return " · ".join(_what(track) + _how(track))


def _what(track: TrackDetails) -> list[str]:
    parts = [track.codec or track.kind]
    if track.kind == "video" and track.width:
        parts += [f"{track.width}×{track.height}", f"{track.fps:.0f} fps"]
    return [*parts, bitrate(track.bitrate_bps)]


def _how(track: TrackDetails) -> list[str]:
    parts = [f"loss {percent(track.packet_loss)}", f"jitter {track.jitter_ms:.0f} ms"]
    if track.rtt_ms is not None:
        parts.append(f"round trip {track.rtt_ms:.0f} ms")
    if track.kind == "video" and track.codec_ms:
        parts.append(f"{'encode' if track.outgoing else 'decode'} {track.codec_ms:.1f} ms")
    if track.kind == "video" and track.convert_ms:
        parts.append(f"convert {track.convert_ms:.1f} ms")
    return parts


def describe_html(track: TrackDetails) -> str:
    """The same figures on two lines: what arrives, then how well."""
    return html.escape(" · ".join(_what(track))) + "<br>" + html.escape(" · ".join(_how(track)))


class TileStatsBox(QLabel):
    """The figures of one tile's streams, in its top-left corner."""

    def __init__(self, tile: QWidget) -> None:
        super().__init__(tile)
        self.setObjectName("TileStats")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            "#TileStats { background: rgba(10, 12, 16, 205); color: #eef0f3; border-radius: 8px;"
            " padding: 6px 8px; font-size: 8pt; }"
        )
        self.setText("Measuring…")
        tile.installEventFilter(self)
        self._place()
        self.show()
        self.raise_()

    def show_tracks(self, tracks: tuple[TrackDetails, ...]) -> None:
        if not tracks:
            self.setText("No audio or video is flowing for this tile.")
        else:
            direction = "sending" if tracks[0].outgoing else "receiving"
            rows = [f"<b>{html.escape(tracks[0].name)}</b> · {direction}"]
            rows += [f"<b>{t.kind.title()}</b> {html.escape(describe(t))}" for t in tracks]
            self.setText("<br>".join(rows))
        self._place()

    def _place(self) -> None:
        tile = self.parentWidget()
        if tile is not None:
            self.setFixedWidth(max(min(tile.width() - 16, 340), 120))
            self.adjustSize()
            self.move(8, 8)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._place()
        return False


class CallDetailsPanel(QFrame):
    """The whole call: totals, warnings, then every stream."""

    close_clicked = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("CallDetails")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(
            f"#CallDetails {{ background: rgba(27, 30, 36, 242); border-radius: 12px;"
            f" border: 1px solid #2a2e36; }} #CallDetails QLabel {{ color: {ROOM.text}; }}"
            " #CallDetails QTextBrowser { background: transparent; border: none;"
            f" color: {ROOM.text}; }}"
            " #CallDetails QScrollBar:vertical { background: transparent; width: 8px; }"
            " #CallDetails QScrollBar::handle:vertical { background: #4a505c; border-radius: 4px;"
            " min-height: 24px; }"
            " #CallDetails QScrollBar::add-line, #CallDetails QScrollBar::sub-line { height: 0; }"
        )
        column = QVBoxLayout(self)
        column.setContentsMargins(16, 12, 12, 12)
        header = QHBoxLayout()
        title = QLabel("Connection details")
        title.setStyleSheet("font-size: 12pt; font-weight: 600;")
        close = QToolButton()
        close.setIcon(icon("close", ROOM.text, 18))
        close.setIconSize(QSize(18, 18))
        close.setToolTip("Close connection details")
        close.setStyleSheet("QToolButton { background: transparent; border: none; }")
        close.clicked.connect(self.close_clicked.emit)
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(close)
        column.addLayout(header)
        self.body = QTextBrowser()
        self.body.setOpenLinks(False)
        self.body.setObjectName("CallDetailsBody")
        column.addWidget(self.body, 1)
        self.body.setHtml(f'<p style="color:{ROOM.muted}">Measuring…</p>')
        parent.installEventFilter(self)
        self.hide()

    def show_details(self, details: CallDetails) -> None:
        self.body.setHtml(render(details))

    def text(self) -> str:
        return self.body.toPlainText()

    def place(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            width = min(PANEL_WIDTH, parent.width() - 32)
            height = min(parent.height() - 32, 520)
            self.setGeometry(parent.width() - width - 16, 16, width, height)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.place()
        return False


def render(details: CallDetails) -> str:
    """The panel's body as HTML: warnings, totals, one block per stream."""
    parts: list[str] = []
    if details.warnings:
        parts += [
            f'<p style="color:{WARN}; margin:2px 0">⚠ {html.escape(w)}</p>'
            for w in details.warnings
        ]
    else:
        parts.append(f'<p style="color:{GOOD}; margin:2px 0">Your connection looks good.</p>')
    rtt = f"{details.rtt_ms:.0f} ms" if details.rtt_ms is not None else "—"
    rows = (
        ("Upload", f"{bitrate(details.upload_bps)} · loss {percent(details.upload_loss)}"),
        ("Download", f"{bitrate(details.download_bps)} · loss {percent(details.download_loss)}"),
        ("Round trip", rtt),
        ("Audio jitter", f"{details.jitter_ms:.0f} ms"),
    )
    cells = "".join(
        f'<tr><td style="color:{ROOM.muted}; padding-right:14px">{k}</td><td>{v}</td></tr>'
        for k, v in rows
    )
    parts.append(f'<table style="margin-top:8px">{cells}</table>')
    for track in details.tracks:
        direction = "sent" if track.outgoing else "received"
        who = "Your" if track.outgoing else f"{html.escape(track.name)}'s"
        what = (
            "screen" if track.key.kind.value == "screen" and track.kind == "video" else track.kind
        )
        parts.append(
            f'<p style="margin:10px 0 0 0"><b>{who} {what}</b> <span style="color:{ROOM.muted}">'
            f"({direction})</span><br>{describe_html(track)}</p>"
        )
    if not details.tracks:
        parts.append(f'<p style="color:{ROOM.muted}">No audio or video is flowing yet.</p>')
    parts.append(f'<p style="color:{ROOM.muted}; margin-top:10px">Refreshed every second.</p>')
    return "".join(parts)


class StatsOverlay(QObject):
    """Owns the panel and the tile boxes; tells the session when to measure."""

    changed = Signal()  # what is open changed

    def __init__(self, area: QWidget, tile_of: Callable[[TileKey], QWidget | None]) -> None:
        super().__init__(area)
        self._tile_of = tile_of
        self.panel = CallDetailsPanel(area)
        self.panel.close_clicked.connect(lambda: self.set_panel(False))
        self.boxes: dict[TileKey, TileStatsBox] = {}
        self._watch: Callable[[bool], None] | None = None
        self.latest: CallDetails | None = None

    def bind(self, watch: Callable[[bool], None]) -> None:
        self._watch = watch
        self._update_watch()

    def unbind(self) -> None:
        self.set_panel(False)
        for key in list(self.boxes):
            self.toggle_tile(key)
        if self._watch is not None:
            self._watch(False)
        self._watch = None
        self.latest = None

    @property
    def panel_open(self) -> bool:
        return self.panel.isVisible()

    def set_panel(self, on: bool) -> None:
        if on:
            self.panel.place()
            self.panel.show()
            self.panel.raise_()
        else:
            self.panel.hide()
        self._update_watch()

    def toggle_tile(self, key: TileKey) -> None:
        box = self.boxes.pop(key, None)
        if box is not None:
            box.hide()
            box.deleteLater()
        else:
            tile = self._tile_of(key)
            if tile is not None:
                self.boxes[key] = TileStatsBox(tile)
                tile.destroyed.connect(lambda _obj=None, k=key: self._forget(k))
                if self.latest is not None:
                    self.boxes[key].show_tracks(self.latest.for_tile(key))
        self._update_watch()

    def _forget(self, key: TileKey) -> None:
        """The tile (and its box with it) was deleted."""
        if self.boxes.pop(key, None) is not None:
            self._update_watch()

    def tile_gone(self, key: TileKey) -> None:
        if key in self.boxes:
            self.boxes.pop(key).deleteLater()
            self._update_watch()

    def show_details(self, details: CallDetails) -> None:
        self.latest = details
        if self.panel.isVisible():
            self.panel.show_details(details)
        for key, box in self.boxes.items():
            box.show_tracks(details.for_tile(key))

    def _update_watch(self) -> None:
        if self._watch is not None:
            self._watch(self.panel.isVisible() or bool(self.boxes))
        self.changed.emit()

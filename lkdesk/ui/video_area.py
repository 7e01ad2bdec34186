"""``VideoArea``: places the tiles: a gallery grid, or a focus view with a filmstrip.

Focus goes to (in order) a pinned tile, a screen share, the active speaker. More than 25
gallery tiles are paged. The area only positions tiles; the room page feeds them.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from lkdesk.session import ParticipantState, TileKey, VideoKind
from lkdesk.ui import layout
from lkdesk.ui.resources import icon
from lkdesk.ui.tile import VideoTile
from lkdesk.ui.video_sizes import VideoSizes

MARGIN = 12


class ViewMode(StrEnum):
    GRID = "grid"
    FOCUS = "focus"


class VideoArea(QWidget):
    """Owns one :class:`VideoTile` per camera and per screen share."""

    mode_changed = Signal(object)
    laid_out = Signal()  # tiles moved: overlays that avoid them re-place themselves
    details_requested = Signal(object)  # TileKey or None (from a tile's context menu)
    popout_requested = Signal(object)  # TileKey (popout.PopOuts opens its window)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VideoArea")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.tiles: dict[TileKey, VideoTile] = {}
        self.popped_out: set[TileKey] = set()  # shown in their own windows, not here
        self.mode = ViewMode.GRID
        self._user_mode: ViewMode | None = None
        self.pinned: TileKey | None = None
        self.speaker: str | None = None
        self.page = 0
        self.mirror_local = True  # my own camera, as in a mirror (Settings → Video)
        self.sizes = VideoSizes(self)  # tells the session the size each video is shown at
        self._more = QLabel(self)
        self._more.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._more.setStyleSheet(
            "background: #272b33; color: #eef0f3; border-radius: 12px; font-weight: 600;"
        )
        self._more.hide()
        self._nav = self._make_nav()

    def _make_nav(self) -> QWidget:
        nav = QWidget(self)
        nav.setObjectName("PageNav")
        nav.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        row = QHBoxLayout(nav)
        row.setContentsMargins(6, 2, 6, 2)
        self._prev = QToolButton(nav)
        self._prev.setIcon(icon("chevron-left", "#ffffff", 18))
        self._prev.setToolTip("Previous page")
        self._next = QToolButton(nav)
        self._next.setIcon(icon("chevron-right", "#ffffff", 18))
        self._next.setToolTip("Next page")
        self._page_label = QLabel(nav)
        for button in (self._prev, self._next):
            button.setIconSize(QSize(18, 18))
            button.setStyleSheet("QToolButton { background: transparent; border: none; }")
        self._prev.clicked.connect(lambda: self.set_page(self.page - 1))
        self._next.clicked.connect(lambda: self.set_page(self.page + 1))
        row.addWidget(self._prev)
        row.addWidget(self._page_label)
        row.addWidget(self._next)
        nav.hide()
        return nav

    # ----- tiles ---------------------------------------------------------------------------

    def add_tile(self, key: TileKey, state: ParticipantState) -> VideoTile:
        tile = self.tiles.get(key)
        if tile is None:
            tile = VideoTile(key, state, self)
            tile.pin_requested.connect(self.set_pinned)
            tile.details_requested.connect(self.details_requested.emit)
            tile.popout_requested.connect(self.popout_requested.emit)
            self.tiles[key] = tile
            self.sizes.watch(tile)
            tile.show()
            self.relayout()
        return tile

    def remove_tile(self, key: TileKey) -> None:
        tile = self.tiles.pop(key, None)
        if tile is None:
            return
        tile.hide()
        tile.deleteLater()
        self.popped_out.discard(key)
        if self.pinned == key:
            self.pinned = None
        self.relayout()

    def set_popped_out(self, key: TileKey, popped: bool) -> None:
        """Leave ``key`` out of the grid while it has a window of its own (popout.py)."""
        (self.popped_out.add if popped else self.popped_out.discard)(key)
        if key in self.tiles:
            self.tiles[key].setVisible(not popped)
        self.relayout()

    def ordered(self) -> list[VideoTile]:
        """Screen shares first, then the local user, then everyone in join order (tiles in
        windows of their own left out)."""
        return sorted(
            (t for t in self.tiles.values() if t.key not in self.popped_out),
            key=lambda t: (t.key.kind is not VideoKind.SCREEN, not t.state.is_local, t.state.order),
        )

    # ----- modes ---------------------------------------------------------------------------

    def set_mode(self, mode: ViewMode) -> None:
        """The user's choice of view; it wins over automatic focus on screen shares."""
        self._user_mode = mode
        self.relayout()

    def set_pinned(self, key: TileKey | None) -> None:
        for k, tile in self.tiles.items():
            tile.set_pinned(k == key)
        self.pinned = key
        if key is not None:
            self._user_mode = None
        self.relayout()

    def set_speaker(self, identity: str | None) -> None:
        if identity != self.speaker:
            self.speaker = identity
            if self.mode is ViewMode.FOCUS:
                self.relayout()

    def set_page(self, page: int) -> None:
        count = layout.pages(len(self.tiles))
        self.page = min(max(page, 0), count - 1)
        self.relayout()

    def focus_key(self) -> TileKey | None:
        if self.pinned in self.tiles and self.pinned not in self.popped_out:
            return self.pinned
        screens = [t.key for t in self.ordered() if t.key.kind is VideoKind.SCREEN]
        if screens:
            return screens[0]
        speaker = TileKey(self.speaker or "")
        if speaker in self.tiles and speaker not in self.popped_out:
            return speaker
        others = [t.key for t in self.ordered() if not t.state.is_local]
        return others[0] if others else next((t.key for t in self.ordered()), None)

    def _effective_mode(self) -> ViewMode:
        if self._user_mode is not None:
            return self._user_mode
        shown = [t.key for t in self.ordered()]
        wants_focus = self.pinned in shown or any(k.kind is VideoKind.SCREEN for k in shown)
        return ViewMode.FOCUS if wants_focus and len(shown) > 1 else ViewMode.GRID

    # ----- geometry --------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.relayout()

    def relayout(self) -> None:
        mode = self._effective_mode()
        if mode is not self.mode:
            self.mode = mode
            self.mode_changed.emit(mode)
        for tile in self.tiles.values():
            tile.mirrored = self.mirror_local and tile.state.is_local and not tile.is_screen
        width, height = self.width() - 2 * MARGIN, self.height() - 2 * MARGIN
        if mode is ViewMode.FOCUS and self.ordered():
            self._layout_focus(width, height)
        else:
            self._layout_grid(width, height)
        self.laid_out.emit()

    def status_rects(self) -> list[QRect]:
        """Every visible tile's name, mute, quality and pin marks (area coordinates), and
        the page and "+N more" controls."""
        rects = [
            r.translated(tile.pos())
            for tile in self.tiles.values()
            if tile.isVisible()
            for r in tile.status_rects()
        ]
        rects += [w.geometry() for w in (self._nav, self._more) if w.isVisible()]
        return rects

    def _layout_grid(self, width: int, height: int) -> None:
        tiles = self.ordered()
        pages = layout.pages(len(tiles))
        self.page = min(self.page, pages - 1)
        per = layout.MAX_PER_PAGE
        visible = tiles[self.page * per : (self.page + 1) * per]
        nav_h = 40 if pages > 1 else 0
        boxes = layout.grid(len(visible), width, height - nav_h)
        shown = set()
        for tile, box in zip(visible, boxes, strict=True):
            tile.setGeometry(box.x + MARGIN, box.y + MARGIN, box.w, box.h)
            tile.show()
            shown.add(tile.key)
        for tile in tiles:
            if tile.key not in shown:
                tile.hide()
        self._more.hide()
        self._place_nav(pages)

    def _layout_focus(self, width: int, height: int) -> None:
        main_key = self.focus_key()
        others = [t for t in self.ordered() if t.key != main_key]
        plan = layout.focus(len(others), width, height)
        main = self.tiles[main_key] if main_key is not None else None
        if main is not None:
            b = plan.main
            main.setGeometry(b.x + MARGIN, b.y + MARGIN, b.w, b.h)
            main.show()
        strip = plan.strip
        if plan.hidden and strip:
            more_box, strip = strip[-1], strip[:-1]
            self._more.setText(f"+{plan.hidden + 1} more")
            self._more.setGeometry(more_box.x + MARGIN, more_box.y + MARGIN, more_box.w, more_box.h)
            self._more.show()
            self._more.raise_()
        else:
            self._more.hide()
        for i, tile in enumerate(others):
            if i < len(strip):
                b = strip[i]
                tile.setGeometry(b.x + MARGIN, b.y + MARGIN, b.w, b.h)
                tile.show()
            else:
                tile.hide()
        self._nav.hide()

    def _place_nav(self, pages: int) -> None:
        if pages <= 1:
            self._nav.hide()
            return
        self._page_label.setText(f"Page {self.page + 1} of {pages}")
        self._prev.setEnabled(self.page > 0)
        self._next.setEnabled(self.page < pages - 1)
        self._nav.adjustSize()
        self._nav.move((self.width() - self._nav.width()) // 2, self.height() - 40)
        self._nav.show()
        self._nav.raise_()

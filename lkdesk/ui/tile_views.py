"""``TileViews``: tells the session how each video is shown, so it receives only that.

A video can be drawn in three places: its tile in the grid (or the focus view and its
filmstrip), a pop-out window, the mini window. Its view is the largest of the places that
show it now, in device pixels; a video shown nowhere (another page of the grid, past the
end of the filmstrip, the main window minimised with no pop-out or mini window showing it)
is not visible, and the session pauses it. Recomputed when the grid lays its tiles out and
when one of the windows is shown, hidden, resized, minimised or restored; sent only when
something changed.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from lkdesk.session import Session, TileKey, TileView
from lkdesk.ui.mini_window import MiniWindow
from lkdesk.ui.popout import PopOuts
from lkdesk.ui.tile import VideoTile
from lkdesk.ui.video_area import VideoArea

_WATCHED = {
    QEvent.Type.Show,
    QEvent.Type.Hide,
    QEvent.Type.Resize,
    QEvent.Type.WindowStateChange,
    QEvent.Type.ChildAdded,  # the mini window's tile changed hands
}


class TileViews(QObject):
    """Follows the grid, the pop-outs and the mini window for one session at a time."""

    def __init__(
        self, window: QWidget, area: VideoArea, popouts: PopOuts, mini: MiniWindow
    ) -> None:
        super().__init__(window)
        self._window = window
        self._area = area
        self._popouts = popouts
        self._mini = mini
        self._session: Session | None = None
        self.views: dict[TileKey, TileView] = {}
        area.laid_out.connect(self.refresh)
        window.installEventFilter(self)
        mini.installEventFilter(self)

    def bind(self, session: Session | None) -> None:
        self._session = session
        self.views = {}
        self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _WATCHED:
            self.refresh()
        return False

    def refresh(self) -> None:
        if self._session is None:
            return  # between calls (and while the windows are torn down)
        for window in self._popouts.windows.values():
            window.installEventFilter(self)  # a second install only moves it to the front
        views = self.compute()
        if views != self.views:
            self.views = views
            self._session.set_tile_views(views)

    def compute(self) -> dict[TileKey, TileView]:
        """Every remote video's view now."""
        window = self._window
        main_shown = window.isVisible() and not window.isMinimized()
        places: list[tuple[VideoTile, bool]] = [
            (tile, main_shown and key not in self._area.popped_out)
            for key, tile in self._area.tiles.items()
        ]
        for popout in self._popouts.windows.values():
            places.append((popout.tile, not popout.isMinimized()))
        if self._mini.tile is not None:
            places.append((self._mini.tile, True))
        views: dict[TileKey, TileView] = {}
        for tile, window_shown in places:
            if tile.state.is_local:
                continue
            view = _view(tile) if window_shown and tile.isVisible() else TileView(visible=False)
            views[tile.key] = _larger(views.get(tile.key), view)
        return views


def _view(tile: VideoTile) -> TileView:
    ratio = tile.devicePixelRatioF()
    return TileView(round(tile.width() * ratio), round(tile.height() * ratio))


def _larger(old: TileView | None, new: TileView) -> TileView:
    if old is None or not old.visible:
        return new
    if not new.visible:
        return old
    return TileView(max(old.width, new.width), max(old.height, new.height))

"""``VideoSizes``: tells the session how large each video is shown, so that frames arrive
converted at that size (one pass, off the event loop) and tiles paint them unscaled.

Every tile showing a participant's camera or screen (in the grid, in a pop-out window)
reports when it is shown, hidden or resized; a video's size is that of the largest visible
tile showing it, in device pixels. Changes are gathered and sent once per turn of the loop.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QTimer

from lkdesk.session import Session, TileKey
from lkdesk.ui.tile import VideoTile


class VideoSizes(QObject):
    """The sizes the UI shows videos at, sent to the bound session when they change."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session: Session | None = None
        self._tiles: list[VideoTile] = []
        self._sent: dict[TileKey, tuple[int, int]] = {}
        self._pending: set[TileKey] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._flush)

    def bind(self, session: Session | None) -> None:
        """Send sizes to ``session`` (None: to nobody); it is told every known size now."""
        self._session = session
        self._sent.clear()
        self._pending.update(tile.key for tile in self._tiles)
        self._timer.start()

    def watch(self, tile: VideoTile) -> None:
        """Count ``tile`` while it exists (a tile hides before it goes)."""
        if tile in self._tiles:
            return
        self._tiles = [t for t in self._tiles if shiboken6.isValid(t)]
        self._tiles.append(tile)
        tile.view_changed.connect(self._changed)
        self._changed(tile)

    def size_of(self, key: TileKey) -> tuple[int, int]:
        """The largest visible tile showing ``key``, in device pixels; (0, 0) when none."""
        sizes = [
            t.device_size()
            for t in self._tiles
            if t.key == key and shiboken6.isValid(t) and t.isVisible()
        ]
        return max(sizes, key=lambda s: s[0] * s[1], default=(0, 0))

    def _changed(self, tile: VideoTile) -> None:
        self._pending.add(tile.key)
        if shiboken6.isValid(self._timer):
            self._timer.start()

    def _flush(self) -> None:
        pending, self._pending = self._pending, set()
        if self._session is None:
            return
        for key in pending:
            size = self.size_of(key)
            if size == (0, 0):
                continue  # not shown now: keep converting at the last size
            if self._sent.get(key) != size:
                self._sent[key] = size
                self._session.set_video_size(key, *size)

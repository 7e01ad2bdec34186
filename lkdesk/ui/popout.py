"""``PopOuts``: a participant's video or a screen share in a window of its own.

With two monitors, a shared screen belongs on the big one and the people on the laptop.
A tile's menu (or double-click on a screen share's "pop out" entry) opens it in its own
resizable window; the grid leaves a gap for it no longer. Closing the window puts the
tile back. Frames reach the window from the session bridge, as they reach the grid.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from lkdesk.session import ParticipantState, TileKey, VideoKind
from lkdesk.ui.bridge import SessionBridge
from lkdesk.ui.painting import Frame
from lkdesk.ui.tile import VideoTile
from lkdesk.ui.video_area import VideoArea


class PopOutWindow(QWidget):
    """One tile in a top-level window; ``closed(key)`` when the user closes it."""

    closed = Signal(object)

    def __init__(self, key: TileKey, state: ParticipantState) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setObjectName("PopOutWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet("#PopOutWindow { background: #121418; }")
        what = "screen" if key.kind is VideoKind.SCREEN else "video"
        self.setWindowTitle(f"{state.display_name}'s {what} – lkdesk")
        self.tile = VideoTile(key, state, self)
        self.tile.mirrored = state.is_local and key.kind is VideoKind.CAMERA
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tile)
        self.resize(960, 540 if key.kind is VideoKind.SCREEN else 720)

    @property
    def key(self) -> TileKey:
        return self.tile.key

    def closeEvent(self, event: QCloseEvent) -> None:
        event.accept()
        self.closed.emit(self.key)


class PopOuts(QObject):
    """The room's popped-out tiles, fed by one session bridge at a time."""

    def __init__(self, area: VideoArea, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._area = area
        self.windows: dict[TileKey, PopOutWindow] = {}
        self._bridge: SessionBridge | None = None
        area.popout_requested.connect(self.pop_out)

    def bind(self, bridge: SessionBridge) -> None:
        self._bridge = bridge
        bridge.video_frame.connect(self._on_frame)
        bridge.participant_updated.connect(self._on_updated)
        bridge.participant_left.connect(lambda state, _reason: self._gone(state.identity))
        bridge.video_ended.connect(self._on_video_ended)

    def pop_out(self, key: TileKey) -> PopOutWindow | None:
        tile = self._area.tiles.get(key)
        if tile is None:
            return None
        window = self.windows.get(key)
        if window is None:
            window = PopOutWindow(key, tile.state)
            if tile.frame is not None:
                window.tile.set_frame(tile.frame)
            window.closed.connect(self._put_back)
            self._area.sizes.watch(window.tile)
            self.windows[key] = window
            self._area.set_popped_out(key, True)
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def _put_back(self, key: TileKey) -> None:
        window = self.windows.pop(key, None)
        if window is not None:
            window.deleteLater()
        self._area.set_popped_out(key, False)

    def _on_frame(self, key: TileKey, frame: Frame) -> None:
        window = self.windows.get(key)
        if window is not None:
            window.tile.set_frame(frame)

    def _on_updated(self, state: ParticipantState) -> None:
        for key, window in list(self.windows.items()):
            if key.identity == state.identity:
                window.tile.set_state(state)
                if key.kind is VideoKind.SCREEN and not state.screen_on:
                    window.close()

    def _on_video_ended(self, key: TileKey) -> None:
        window = self.windows.get(key)
        if window is not None and key.kind is VideoKind.SCREEN:
            window.close()

    def _gone(self, identity: str) -> None:
        for key, window in list(self.windows.items()):
            if key.identity == identity:
                window.close()

    def close_all(self) -> None:
        """The call ended: every window goes (their tiles went with the room)."""
        for window in list(self.windows.values()):
            window.close()
        self._bridge = None

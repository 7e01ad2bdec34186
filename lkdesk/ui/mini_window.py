"""``MiniWindow``: the active speaker on top while lkdesk is in the background.

While the user shares their screen or works in another app, a small always-on-top window
keeps the person talking in view, with the microphone, camera and leave buttons at hand
(Jitsi Meet Electron's "always on top" window). It appears when the main window is
minimised or loses focus during a call (Settings → General turns it off), can be dragged
anywhere, and a double-click brings the main window back.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from lkdesk.session import LocalMedia, ParticipantState, TileKey
from lkdesk.ui.control_bar import RoomButton
from lkdesk.ui.painting import Frame
from lkdesk.ui.tile import VideoTile

SIZE = QSize(320, 236)


class MiniWindow(QWidget):
    """Frameless, on top, draggable; shows one tile and three buttons."""

    restore_requested = Signal()
    mic_clicked = Signal()
    camera_clicked = Signal()
    leave_clicked = Signal()

    def __init__(self) -> None:
        flags = (
            Qt.WindowType.Tool
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        super().__init__(None, flags)
        self.setObjectName("MiniWindow")
        self.setWindowTitle("lkdesk – mini")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setStyleSheet("#MiniWindow { background: #121418; border: 1px solid #3a3f4a; }")
        self.resize(SIZE)
        self.tile: VideoTile | None = None
        self._drag: QPoint | None = None
        self._placed = False
        self.mic = RoomButton("mic")
        self.camera = RoomButton("camera")
        self.leave = RoomButton("leave")
        self.leave.setProperty("off", True)
        self.mic.clicked.connect(self.mic_clicked.emit)
        self.camera.clicked.connect(self.camera_clicked.emit)
        self.leave.clicked.connect(self.leave_clicked.emit)
        self.leave.setToolTip("Leave the call")
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(4, 4, 4, 6)
        self._column.setSpacing(4)
        self._stage = QVBoxLayout()
        self._column.addLayout(self._stage, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in (self.mic, self.camera, self.leave):
            button.setIconSize(QSize(18, 18))
            row.addWidget(button)
        row.addStretch(1)
        self._column.addLayout(row)
        self.set_media(LocalMedia())

    @property
    def key(self) -> TileKey | None:
        return self.tile.key if self.tile is not None else None

    def show_participant(self, state: ParticipantState | None) -> None:
        """Show ``state``'s camera (or their initials), or nothing."""
        if state is None:
            self._drop_tile()
            return
        if self.tile is not None and self.tile.key.identity == state.identity:
            self.tile.set_state(state)
            return
        self._drop_tile()
        self.tile = VideoTile(TileKey(state.identity), state, self)
        self.tile.mirrored = state.is_local
        self.tile.pin_requested.connect(lambda _key: self.restore_requested.emit())
        self._stage.addWidget(self.tile)

    def _drop_tile(self) -> None:
        if self.tile is not None:
            self._stage.removeWidget(self.tile)
            self.tile.deleteLater()
            self.tile = None

    def set_frame(self, key: TileKey, frame: Frame) -> None:
        if self.tile is not None and key == self.tile.key and self.isVisible():
            self.tile.set_frame(frame)

    def set_media(self, media: LocalMedia) -> None:
        self.mic.set_icon("mic" if media.mic_on else "mic-off")
        self.mic.set_off(not media.mic_on)
        self.mic.setToolTip("Mute" if media.mic_on else "Unmute")
        self.camera.set_icon("camera" if media.camera_on else "camera-off")
        self.camera.set_off(not media.camera_on)
        self.camera.setToolTip("Stop video" if media.camera_on else "Start video")

    def appear(self) -> None:
        """Show (in the screen's bottom-right corner the first time), without taking focus."""
        if not self._placed:
            screen = QGuiApplication.primaryScreen()
            if screen is not None:
                area = screen.availableGeometry()
                self.move(area.right() - self.width() - 24, area.bottom() - self.height() - 24)
            self._placed = True
        self.show()
        self.raise_()

    # ----- dragging ------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = event.globalPosition().toPoint() - self.frameGeometry().topLeft()
            event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self.move(event.globalPosition().toPoint() - self._drag)
            event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.restore_requested.emit()

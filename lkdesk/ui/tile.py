"""``VideoTile``: one participant's camera or screen share, painted by hand.

A tile keeps only its latest frame and asks for a repaint with ``update()``; painting wraps
the frame's buffer in a QImage (no copy), cropped to fill for cameras and letterboxed for
screen shares. The session converts remote frames at the size the tile shows them
(``view_changed`` tells :class:`~lkdesk.ui.video_sizes.VideoSizes`), so painting is a 1:1
copy of pixels; a frame of another size (while resizing, the demo, the local camera) is
scaled by QPainter.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from lkdesk.core.frames import fitted_size
from lkdesk.session import ParticipantState, TileKey, VideoKind
from lkdesk.ui.encryption_controls import paint_cannot_decrypt
from lkdesk.ui.painting import (
    Frame,
    fit_rect,
    frame_image,
    paint_avatar,
    paint_quality,
    usable,
)
from lkdesk.ui.resources import icon, pixmap
from lkdesk.ui.theme import ROOM

RADIUS = 12


class VideoTile(QWidget):
    """Shows a participant: live video, or their initials when the camera is off."""

    pin_requested = Signal(object)  # TileKey, or None to unpin
    details_requested = Signal(object)  # TileKey (its connection details) or None (the call's)
    popout_requested = Signal(object)  # TileKey: show it in a window of its own
    view_changed = Signal(object)  # this tile: shown, hidden or resized

    def __init__(self, key: TileKey, state: ParticipantState, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.state = state
        self.frame: Frame | None = None
        self.frames_shown = 0
        self.frames_scaled = 0  # painted through QPainter's scaling (not at the tile's size)
        self._corner_path: tuple[QRectF, QPainterPath] | None = None
        self._marks: tuple[object, QPixmap] | None = None  # name, quality, pin (see overlays)
        self.pinned = False
        self.mirrored = False  # my own camera, shown as in a mirror
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(True)
        self._pin = QToolButton(self)
        self._pin.setIcon(icon("pin", "#ffffff", 18))
        self._pin.setIconSize(QSize(18, 18))
        self._pin.setFixedSize(32, 32)
        self._pin.setStyleSheet(
            "QToolButton { background: rgba(20,22,26,180); border: none; border-radius: 16px; }"
            "QToolButton:hover { background: rgba(60,64,72,230); }"
        )
        self._pin.clicked.connect(self._toggle_pin)
        self._pin.hide()
        self._update_tooltip()

    # ----- state ---------------------------------------------------------------------------

    @property
    def is_screen(self) -> bool:
        return self.key.kind is VideoKind.SCREEN

    @property
    def shows_video(self) -> bool:
        live = self.state.screen_on if self.is_screen else self.state.camera_on
        return live and self.frame is not None

    def set_state(self, state: ParticipantState) -> None:
        if state != self.state:
            old = self.state
            self.state = state
            if state.cannot_decrypt or not (state.screen_on if self.is_screen else state.camera_on):
                self.frame = None
            if (old.name, old.mic_on, old.agent_state) != (
                state.name,
                state.mic_on,
                state.agent_state,
            ):
                self._update_tooltip()
            self.update()

    def set_frame(self, frame: Frame) -> None:
        """Keep ``frame`` as the latest picture and schedule a repaint."""
        self.frame = usable(frame)
        self.update()

    def clear_frame(self) -> None:
        self.frame = None
        self.update()

    def set_pinned(self, pinned: bool) -> None:
        self.pinned = pinned
        self._pin.setToolTip("Unpin" if pinned else "Pin to the large view")
        self.update()

    def label(self) -> str:
        name = self.state.display_name
        if self.is_screen:
            return "Your screen" if self.state.is_local else f"{name}'s screen"
        if self.state.is_local:
            return "You" if name == "You" else f"{name} (You)"
        if self.state.agent_state:  # an agent: listening, thinking, speaking …
            return f"{name} · {self.state.agent_state}"
        return name

    def _update_tooltip(self) -> None:
        muted = "" if self.state.mic_on or self.is_screen else " · microphone off"
        self.setToolTip(f"{self.label()}{muted}")
        self.setAccessibleName(self.label())

    # ----- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect())
        if self.shows_video and self.frame is not None and self._covers(self.frame):
            # Video fills the tile: no fills under it and no clipped (masked) image drawing;
            # the rounded corners are painted over it.
            self._paint_video(painter, rect, self.frame)
            painter.fillPath(self._corners(rect), QColor(ROOM.background))
            self._paint_overlays(painter, rect)
            painter.end()
            return
        painter.fillRect(rect, QColor(ROOM.background))
        clip = QPainterPath()
        clip.addRoundedRect(rect, RADIUS, RADIUS)
        painter.setClipPath(clip)
        painter.fillRect(rect, QColor("#0d0f12" if self.is_screen else ROOM.tile))
        if self.shows_video and self.frame is not None:
            self._paint_video(painter, rect, self.frame)
        elif self.state.cannot_decrypt and (
            self.state.screen_on if self.is_screen else self.state.camera_on
        ):
            paint_cannot_decrypt(painter, rect)  # rather than a black or frozen picture
        else:
            self._paint_placeholder(painter, rect)
        painter.setClipping(False)
        self._paint_overlays(painter, rect)
        painter.end()

    def device_size(self) -> tuple[int, int]:
        """The tile's size in device pixels: what its video is converted to."""
        ratio = self.devicePixelRatioF()
        return round(self.width() * ratio), round(self.height() * ratio)

    def _covers(self, frame: Frame) -> bool:
        """Whether ``frame`` is painted over the whole tile (cropped to fill it)."""
        height, width = frame.shape[:2]
        tile_aspect = self.width() / max(self.height(), 1)
        if self.is_screen or abs(width / max(height, 1) - tile_aspect) > 0.6:
            return False
        box_w, box_h = self.device_size()
        fit_w, fit_h = fitted_size(width, height, box_w, box_h, cover=True)
        at_size = abs(fit_w - width) <= 1 and abs(fit_h - height) <= 1
        return not at_size or (width >= box_w and height >= box_h)

    def _corners(self, rect: QRectF) -> QPainterPath:
        """The tile's rectangle less its rounded one, kept while the size stays."""
        if self._corner_path is None or self._corner_path[0] != rect:
            outside = QPainterPath()
            outside.addRect(rect)
            rounded = QPainterPath()
            rounded.addRoundedRect(rect, RADIUS, RADIUS)
            self._corner_path = (QRectF(rect), outside.subtracted(rounded))
        return self._corner_path[1]

    def _paint_video(self, painter: QPainter, rect: QRectF, frame: Frame) -> None:
        height, width = frame.shape[:2]
        portrait_mismatch = abs((width / max(height, 1)) - rect.width() / rect.height()) > 0.6
        cover = not self.is_screen and not portrait_mismatch
        image = frame_image(frame)
        painter.save()
        if self.mirrored:
            painter.translate(rect.left() + rect.right(), 0)
            painter.scale(-1, 1)
        box_w, box_h = self.device_size()
        fit_w, fit_h = fitted_size(width, height, box_w, box_h, cover=not self.is_screen)
        if abs(fit_w - width) <= 1 and abs(fit_h - height) <= 1:
            # Converted at this tile's size: copy the middle, no scaling.
            ratio = self.devicePixelRatioF()
            image.setDevicePixelRatio(ratio)
            x, y = (width - box_w) // 2, (height - box_h) // 2
            middle = QRect(max(x, 0), max(y, 0), min(width, box_w), min(height, box_h))
            at = QPoint(round(max(-x, 0) / ratio), round(max(-y, 0) / ratio))
            painter.drawImage(at, image, middle)
        else:
            source, target = fit_rect(width, height, rect, cover=cover)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, image, source)
            self.frames_scaled += 1
        painter.restore()
        self.frames_shown += 1

    def _paint_placeholder(self, painter: QPainter, rect: QRectF) -> None:
        if self.is_screen:
            painter.setPen(QColor(ROOM.muted))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Waiting for the screen…")
            return
        size = max(min(rect.width(), rect.height()) * 0.36, 28.0)
        size = min(size, 132.0)
        circle = QRectF(rect.center().x() - size / 2, rect.center().y() - size / 2 - 6, size, size)
        if self.state.speaking:
            ring = size * (0.08 + 0.12 * min(self.state.audio_level, 1.0))
            painter.setBrush(QColor(91, 140, 255, 70))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(circle.adjusted(-ring, -ring, ring, ring))
        paint_avatar(painter, circle, self.state.identity, self.state.display_name)

    def _paint_overlays(self, painter: QPainter, rect: QRectF) -> None:
        # Name, quality and pin change rarely and cost more to draw than the picture: they
        # are drawn once into a transparent pixmap and blitted with every frame.
        ratio = self.devicePixelRatioF()
        key = (rect, ratio, self.label(), self.state.mic_on, self.state.quality, self.pinned,
               self.font().toString())  # fmt: skip
        if self._marks is None or self._marks[0] != key:
            marks = QPixmap(round(rect.width() * ratio), round(rect.height() * ratio))
            marks.setDevicePixelRatio(ratio)
            marks.fill(Qt.GlobalColor.transparent)
            with_marks = QPainter(marks)
            with_marks.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._paint_marks(with_marks, rect)
            with_marks.end()
            self._marks = (key, marks)
        painter.drawPixmap(QPoint(0, 0), self._marks[1])
        if self.state.speaking and not self.is_screen:
            pen = QPen(QColor(ROOM.speaking), 3)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(1.5, 1.5, -1.5, -1.5), RADIUS - 1, RADIUS - 1)

    def _paint_marks(self, painter: QPainter, rect: QRectF) -> None:
        self._paint_name(painter, rect)
        if not self.state.is_local and not self.is_screen:
            paint_quality(
                painter, QRectF(rect.right() - 28, rect.y() + 12, 16, 13), self.state.quality
            )
        if self.pinned:
            painter.drawPixmap(QPointF(rect.x() + 12, rect.y() + 10), pixmap("pin", "#ffffff", 18))

    def _name_layout(self, rect: QRectF) -> tuple[QRectF, str, QFont, int]:
        """The name pill's rectangle, its (elided) text, font and icon width."""
        font = QFont(self.font())
        font.setPixelSize(13 if rect.width() > 220 else 11)
        font.setWeight(QFont.Weight.Medium)
        metrics = QFontMetrics(font)
        muted = not self.state.mic_on and not self.is_screen
        icon_w = 20 if muted or self.is_screen else 0
        max_text = max(int(rect.width()) - 40 - icon_w, 20)
        text = metrics.elidedText(self.label(), Qt.TextElideMode.ElideRight, max_text)
        pill_w = metrics.horizontalAdvance(text) + 20 + icon_w
        pill = QRectF(rect.x() + 8, rect.bottom() - 8 - 26, pill_w, 26)
        return pill, text, font, icon_w

    def status_rects(self) -> list[QRect]:
        """Where the tile shows who and how (name, mute icon, quality, pin), in tile
        coordinates; overlays such as toasts keep clear of them."""
        rect = QRectF(self.rect())
        rects = [self._name_layout(rect)[0].toAlignedRect().adjusted(-4, -4, 4, 4)]
        if not self.state.is_local and not self.is_screen:
            rects.append(QRect(int(rect.right()) - 32, 8, 24, 21))
        if self.pinned:
            rects.append(QRect(8, 6, 26, 26))
        return rects

    def _paint_name(self, painter: QPainter, rect: QRectF) -> None:
        pill, text, font, icon_w = self._name_layout(rect)
        muted = not self.state.mic_on and not self.is_screen
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(16, 18, 22, 170))
        painter.drawRoundedRect(pill, 13, 13)
        x = pill.x() + 10
        if muted:
            painter.setBrush(QColor(ROOM.off))
            painter.drawEllipse(QRectF(x - 3, pill.y() + 4, 18, 18))
            painter.drawPixmap(QPointF(x, pill.y() + 7), pixmap("mic-off", "#ffffff", 12))
            x += icon_w
        elif self.is_screen:
            painter.drawPixmap(QPointF(x, pill.y() + 6), pixmap("screen", "#ffffff", 14))
            x += icon_w
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(
            QRectF(x, pill.y(), pill.width(), pill.height()),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            text,
        )

    # ----- interaction ---------------------------------------------------------------------

    def resizeEvent(self, event: object) -> None:
        self._pin.move(self.width() - self._pin.width() - 44, 8)
        self.view_changed.emit(self)

    def showEvent(self, event: object) -> None:
        self.view_changed.emit(self)

    def hideEvent(self, event: object) -> None:
        self.view_changed.emit(self)

    def enterEvent(self, event: object) -> None:
        self._pin.setVisible(self.width() > 160)

    def leaveEvent(self, event: object) -> None:
        self._pin.hide()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self._toggle_pin()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        action = menu.addAction("Unpin" if self.pinned else "Pin to the large view")
        action.triggered.connect(self._toggle_pin)
        details = menu.addAction("Connection details")
        details.triggered.connect(lambda: self.details_requested.emit(self.key))
        whole = menu.addAction("Connection details for the whole call")
        whole.triggered.connect(lambda: self.details_requested.emit(None))
        popout = menu.addAction("Open in its own window")
        popout.triggered.connect(lambda: self.popout_requested.emit(self.key))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())

    def _toggle_pin(self) -> None:
        self.pin_requested.emit(None if self.pinned else self.key)

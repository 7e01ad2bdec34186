"""``PreJoinPage``: check camera, microphone and speaker, pick devices, then join."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import (
    Device,
    DeviceKind,
    Feature,
    InvalidTargetError,
    JoinOptions,
    Session,
    check_passphrase,
)
from lkdesk.ui.audio_processing_controls import AudioProcessingControls
from lkdesk.ui.control_bar import RoomButton
from lkdesk.ui.encryption_controls import PassphraseControls
from lkdesk.ui.painting import Frame, fit_rect, frame_image, paint_avatar, usable
from lkdesk.ui.theme import ROOM


class LevelMeter(QWidget):
    """Twelve segments that light up with the microphone level."""

    SEGMENTS = 12

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level = 0.0
        self.setFixedHeight(10)
        self.setMinimumWidth(120)
        self.setToolTip("Microphone level: speak and watch it move")

    def set_level(self, level: float) -> None:
        level = max(0.0, min(level, 1.0))
        if abs(level - self.level) > 0.01:
            self.level = level
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        gap = 3.0
        seg_w = (self.width() - gap * (self.SEGMENTS - 1)) / self.SEGMENTS
        lit = round(self.level * self.SEGMENTS)
        off = self.palette().mid().color()
        for i in range(self.SEGMENTS):
            color = QColor("#34a853" if i < 8 else "#fbbc05" if i < 11 else "#ea4335")
            painter.setBrush(color if i < lit else off)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(QRectF(i * (seg_w + gap), 0, seg_w, self.height()), 3, 3)
        painter.end()


class Preview(QWidget):
    """The local camera preview, or the user's initials with a short explanation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame: Frame | None = None
        self.camera_on = True
        self.message = ""
        self.identity = "you"
        self.name = "You"
        self.mirrored = True  # as in a mirror (Settings → Video)
        self.setMinimumSize(320, 180)

    def set_frame(self, frame: Frame) -> None:
        if self.camera_on:
            self.frame = usable(frame)
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        rect = QRectF(self.rect())
        path = QPainterPath()
        path.addRoundedRect(rect, 14, 14)
        painter.setClipPath(path)
        painter.fillRect(rect, QColor(ROOM.tile))
        if self.camera_on and self.frame is not None:
            h, w = self.frame.shape[:2]
            source, target = fit_rect(w, h, rect, cover=True)
            if self.mirrored:
                painter.translate(rect.left() + rect.right(), 0)
                painter.scale(-1, 1)
            painter.drawImage(target, frame_image(self.frame), source)
        else:
            size = min(rect.height() * 0.34, 120.0)
            circle = QRectF(
                rect.center().x() - size / 2, rect.center().y() - size / 2 - 24, size, size
            )
            paint_avatar(painter, circle, self.identity, self.name)
            font = QFont(self.font())
            font.setPixelSize(14)
            painter.setFont(font)
            painter.setPen(QColor(ROOM.text))
            text_rect = QRectF(rect.x() + 24, circle.bottom() + 10, rect.width() - 48, 60)
            painter.drawText(
                text_rect,
                Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap,
                self.message or "Your camera is off",
            )
        painter.end()


class _Stage(QWidget):
    """Keeps the preview 16:9 and centred, with the mic and camera buttons over it."""

    def __init__(self) -> None:
        super().__init__()
        self.preview = Preview(self)
        self.mic = RoomButton("mic", self)
        self.camera = RoomButton("camera", self)
        self.setMinimumSize(400, 240)

    def resizeEvent(self, event: object) -> None:
        width = min(self.width(), int(self.height() * 16 / 9))
        height = int(width * 9 / 16)
        x, y = (self.width() - width) // 2, (self.height() - height) // 2
        self.preview.setGeometry(x, y, width, height)
        bottom = y + height - 18 - 44
        center = x + width // 2
        self.mic.move(center - 44 - 6, bottom)
        self.camera.move(center + 6, bottom)
        self.mic.raise_()
        self.camera.raise_()


class PreJoinPage(QWidget):
    """Emits intents; the main window runs them against the session."""

    join_clicked = Signal(object)  # JoinOptions
    back_clicked = Signal()
    preview_changed = Signal(bool, bool)  # camera, microphone
    test_speaker_clicked = Signal()
    check_network_clicked = Signal()
    device_changed = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Session | None = None
        self.mic_on = True
        self.camera_on = True
        self._mic_feature = Feature(True)
        self._camera_feature = Feature(True)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(40, 36, 40, 36)
        outer.setSpacing(32)
        outer.addWidget(self._preview_column(), 3)
        card_column = QVBoxLayout()
        card_column.addStretch(1)
        card_column.addWidget(self._form_card())
        card_column.addStretch(1)
        outer.addLayout(card_column, 2)

    def _preview_column(self) -> QWidget:
        stage = _Stage()
        self.preview = stage.preview
        self.mic_button = stage.mic
        self.camera_button = stage.camera
        self.mic_button.clicked.connect(self._toggle_mic)
        self.camera_button.clicked.connect(self._toggle_camera)
        return stage

    def _form_card(self) -> QFrame:
        card = QFrame()
        card.setProperty("card", True)
        card.setMaximumWidth(460)
        column = QVBoxLayout(card)
        column.setContentsMargins(26, 24, 26, 24)
        column.setSpacing(10)
        title = QLabel("Ready to join?")
        title.setProperty("role", "title")
        self.where = QLabel()
        self.where.setProperty("role", "muted")
        self.where.setWordWrap(True)
        column.addWidget(title)
        column.addWidget(self.where)
        column.addSpacing(6)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.name = QLineEdit()
        self.name.setPlaceholderText("How others will see you")
        self.name_note = QLabel()
        self.name_note.setProperty("role", "muted")
        self.name_note.setWordWrap(True)
        form.addRow("Your name", self.name)
        form.addRow("", self.name_note)
        self.combos: dict[DeviceKind, QComboBox] = {}
        for kind, label in ((DeviceKind.CAMERA, "Camera"), (DeviceKind.MICROPHONE, "Microphone")):
            combo = QComboBox()
            combo.currentIndexChanged.connect(lambda _i, k=kind: self._device_picked(k))
            self.combos[kind] = combo
            form.addRow(label, combo)
        self.meter = LevelMeter()
        form.addRow("", self.meter)
        speaker_row = QHBoxLayout()
        speaker = QComboBox()
        speaker.currentIndexChanged.connect(lambda _i: self._device_picked(DeviceKind.SPEAKER))
        self.combos[DeviceKind.SPEAKER] = speaker
        self.test_button = QPushButton("Test")
        self.test_button.setToolTip("Play a short sound on this speaker")
        self.test_button.clicked.connect(self.test_speaker_clicked.emit)
        speaker_row.addWidget(speaker, 1)
        speaker_row.addWidget(self.test_button)
        form.addRow("Speaker", speaker_row)
        self.processing = AudioProcessingControls()
        form.addRow("Sound", self.processing)
        self.encryption = PassphraseControls()
        form.addRow("Privacy", self.encryption)
        column.addLayout(form)
        self.media_note = QLabel()
        self.media_note.setProperty("role", "muted")
        self.media_note.setWordWrap(True)
        column.addWidget(self.media_note)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        column.addWidget(self.error)
        column.addSpacing(8)
        self.join_button = QPushButton("Join now")
        self.join_button.setProperty("kind", "primary")
        self.join_button.setMinimumHeight(42)
        self.join_button.clicked.connect(self._join)
        self.name.returnPressed.connect(self._join)
        back = QPushButton("← Back")
        back.setProperty("kind", "link")
        back.clicked.connect(self.back_clicked.emit)
        self.network_button = QPushButton("Check network")
        self.network_button.setProperty("kind", "link")
        self.network_button.setToolTip("Can media get through to this server from here?")
        self.network_button.clicked.connect(self.check_network_clicked.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addWidget(self.network_button)
        buttons.addStretch(1)
        buttons.addWidget(self.join_button)
        column.addLayout(buttons)
        return card

    # ----- binding ----------------------------------------------------------------------------

    def bind(
        self,
        session: Session,
        name: str,
        devices: dict[DeviceKind, str],
        mic_on: bool,
        camera_on: bool,
    ) -> None:
        self.session = session
        caps = session.capabilities
        self._mic_feature, self._camera_feature = caps.microphone, caps.camera
        self.where.setText(f"{session.room_name} · {session.server_label}")
        self.name.setText(name if session.name_editable and name else session.local_name)
        self.name.setEnabled(session.name_editable)
        self.name_note.setText("" if session.name_editable else "Your name comes from the token.")
        self.name_note.setVisible(not session.name_editable)
        for kind, combo in self.combos.items():
            self._fill(combo, session.devices(kind), devices.get(kind, ""))
        self.mic_on = mic_on and caps.microphone.available
        self.camera_on = camera_on and caps.camera.available
        notes = [f.reason for f in (caps.camera, caps.microphone, caps.speaker) if not f.available]
        self.media_note.setText("\n".join(dict.fromkeys(notes)))
        self.media_note.setVisible(bool(notes))
        self.test_button.setEnabled(caps.speaker.available)
        self.processing.set_settings(session.audio_processing)
        self.processing.set_feature(caps.audio_processing)
        self.preview.identity = session.local_identity
        self.preview.name = self.name.text() or "You"
        self.error.hide()
        self.set_busy(False)
        self._sync()

    def _fill(self, combo: QComboBox, devices: tuple[Device, ...], current: str) -> None:
        combo.blockSignals(True)
        combo.clear()
        for device in devices:
            combo.addItem(device.name, device.id)
        if not devices:
            combo.addItem("No device found")
        index = combo.findData(current)
        combo.setCurrentIndex(max(index, 0))
        combo.setEnabled(bool(devices))
        combo.blockSignals(False)

    def _sync(self) -> None:
        self.mic_button.set_icon("mic" if self.mic_on else "mic-off")
        self.mic_button.set_off(not self.mic_on)
        self.mic_button.setToolTip(self._tip(self._mic_feature, self.mic_on, "microphone"))
        self.camera_button.set_icon("camera" if self.camera_on else "camera-off")
        self.camera_button.set_off(not self.camera_on)
        self.camera_button.setToolTip(self._tip(self._camera_feature, self.camera_on, "camera"))
        self.preview.camera_on = self.camera_on
        if not self._camera_feature.available:
            self.preview.message = self._camera_feature.reason or "No camera is available."
        else:
            self.preview.message = "" if self.camera_on else "Your camera is off"
        if not self.camera_on:
            self.preview.frame = None
        self.meter.setEnabled(self.mic_on)
        if not self.mic_on:
            self.meter.set_level(0.0)
        self.preview.update()
        self.preview_changed.emit(self.camera_on, self.mic_on)

    @staticmethod
    def _tip(feature: Feature, on: bool, what: str) -> str:
        if not feature.available:
            return f"Not available: {feature.reason}"
        return f"Join with {what} {'on' if on else 'off'}; click to change"

    def _toggle_mic(self) -> None:
        if self._mic_feature.available:
            self.mic_on = not self.mic_on
            self._sync()

    def _toggle_camera(self) -> None:
        if self._camera_feature.available:
            self.camera_on = not self.camera_on
            self._sync()

    def _device_picked(self, kind: DeviceKind) -> None:
        device_id = self.combos[kind].currentData()
        if device_id:
            self.device_changed.emit(kind, str(device_id))

    def set_level(self, level: float) -> None:
        if self.mic_on:
            self.meter.set_level(level)

    def set_busy(self, busy: bool) -> None:
        self.join_button.setEnabled(not busy)
        self.join_button.setText("Joining…" if busy else "Join now")

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def options(self) -> JoinOptions:
        devices = {
            kind: str(combo.currentData())
            for kind, combo in self.combos.items()
            if combo.currentData()
        }
        name, passphrase = self.name.text().strip(), self.encryption.value()
        return JoinOptions(name, self.mic_on, self.camera_on, devices, passphrase)

    def _join(self) -> None:
        self.error.hide()
        self.encryption.error.hide()
        passphrase = self.encryption.value()
        try:
            if passphrase is not None:
                check_passphrase(passphrase)
        except InvalidTargetError as exc:
            self.encryption.show_error(str(exc))
            return
        self.join_clicked.emit(self.options())

    def sizeHint(self) -> QSize:
        return QSize(1100, 680)

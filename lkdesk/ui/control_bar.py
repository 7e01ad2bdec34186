"""``ControlBar``: mic, camera, screen, chat, people, view, settings and leave."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import Capabilities, Device, DeviceKind, Feature, LocalMedia
from lkdesk.ui.encryption_controls import LockBadge
from lkdesk.ui.resources import icon
from lkdesk.ui.shortcuts import Action, Shortcuts
from lkdesk.ui.theme import ROOM
from lkdesk.ui.video_area import ViewMode


class RoomButton(QToolButton):
    """A round icon button of the control bar; shows a red "off" state and a badge."""

    def __init__(self, icon_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("room", True)
        self.setIconSize(QSize(22, 22))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.badge = 0
        self.set_icon(icon_name)

    def set_icon(self, name: str) -> None:
        self.setIcon(icon(name, "#ffffff", 22, disabled="#70757f"))

    def set_off(self, off: bool) -> None:
        if self.property("off") != off:
            self.setProperty("off", off)
            self.style().unpolish(self)
            self.style().polish(self)

    def set_badge(self, count: int) -> None:
        self.badge = count
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.badge <= 0:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = "9+" if self.badge > 9 else str(self.badge)
        rect = QRectF(self.width() - 18, 0, 18, 18)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(ROOM.speaking))
        painter.drawEllipse(rect)
        font = QFont(self.font())
        font.setPixelSize(10)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()


class Control(QWidget):
    """A button with a caption and, optionally, a device menu chevron."""

    def __init__(self, button: RoomButton, caption: str, with_menu: bool) -> None:
        super().__init__()
        self.button = button
        self.caption = QLabel(caption)
        self.caption.setProperty("role", "caption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.menu: QMenu | None = None
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        row = QHBoxLayout()
        row.setSpacing(0)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(button)
        if with_menu:
            chevron = QToolButton()
            chevron.setProperty("chevron", True)
            chevron.setIcon(icon("chevron-up", "#ffffff", 14))
            chevron.setIconSize(QSize(14, 14))
            chevron.setToolTip("Choose a device")
            self.menu = QMenu(chevron)
            chevron.setMenu(self.menu)
            chevron.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            chevron.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
            row.addWidget(chevron, 0, Qt.AlignmentFlag.AlignVCenter)
            self.chevron = chevron
        column.addLayout(row)
        column.addWidget(self.caption)


COMPACT_BELOW = 1120  # narrower than this, captions go and the buttons keep their icons
TITLE_BELOW = 820  # narrower than this, the room title and clock go too


class ControlBar(QWidget):
    """The bottom bar of the room. Emits intents; the room page decides what happens.

    On a small window the captions collapse (each button keeps its tooltip) and, smaller
    still, the room title and clock make way, so every control stays on screen.
    """

    mic_clicked = Signal()
    camera_clicked = Signal()
    screen_clicked = Signal()
    chat_clicked = Signal()
    people_clicked = Signal()
    captions_clicked = Signal()
    view_clicked = Signal()
    settings_clicked = Signal()
    leave_clicked = Signal()
    device_chosen = Signal(object, str)  # DeviceKind, device id

    def __init__(self, shortcuts: Shortcuts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ControlBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self._shortcuts = shortcuts
        self.mic = RoomButton("mic")
        self.camera = RoomButton("camera")
        self.share = RoomButton("screen")
        self.chat = RoomButton("chat")
        self.people = RoomButton("people")
        self.captions = RoomButton("captions")
        self.view = RoomButton("speaker-view")
        self.settings = RoomButton("settings")
        self.leave = QPushButton("Leave")
        self.leave.setObjectName("LeaveButton")
        self.leave.setIcon(icon("leave", "#ffffff", 20))
        self.leave.setIconSize(QSize(20, 20))
        self.leave.setCursor(Qt.CursorShape.PointingHandCursor)
        for button in (self.chat, self.people, self.share, self.captions):
            button.setCheckable(True)
        self._mic_control = Control(self.mic, "Mute", with_menu=True)
        self._camera_control = Control(self.camera, "Stop video", with_menu=True)
        self._speaker_devices: tuple[Device, ...] = ()
        self._controls = {
            "screen": Control(self.share, "Share", False),
            "chat": Control(self.chat, "Chat", False),
            "people": Control(self.people, "People", False),
            "captions": Control(self.captions, "Captions", False),
            "view": Control(self.view, "View", False),
            "settings": Control(self.settings, "Settings", False),
        }
        self.title = QLabel()
        self.title.setObjectName("RoomTitle")
        self.clock = QLabel()
        self.clock.setObjectName("Clock")
        self.lock = LockBadge()  # shown while the call is end-to-end encrypted
        self.compact = False
        self._build()
        self._connect()
        self._media = LocalMedia()
        self._caps = Capabilities()
        self.refresh_tooltips()
        shortcuts.changed.connect(self.refresh_tooltips)

    def _build(self) -> None:
        row = QHBoxLayout(self)
        row.setContentsMargins(20, 8, 20, 12)
        row.setSpacing(10)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(2)
        left.addStretch(1)
        left.addWidget(self.title)
        left.addWidget(self.lock)
        left.addWidget(self.clock)
        left.addStretch(1)
        left_box = QWidget()
        left_box.setLayout(left)
        left_box.setMinimumWidth(180)
        self._left_box = left_box
        row.addWidget(left_box, 1)
        center = QHBoxLayout()
        center.setSpacing(14)
        for widget in (self._mic_control, self._camera_control, self._controls["screen"]):
            center.addWidget(widget)
        center.addSpacing(10)
        for name in ("chat", "people", "captions", "view", "settings"):
            center.addWidget(self._controls[name])
        row.addLayout(center)
        right = QHBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addStretch(1)
        right.addWidget(self.leave, 0, Qt.AlignmentFlag.AlignTop)
        right_box = QWidget()
        right_box.setLayout(right)
        right_box.setMinimumWidth(180)
        self._right_box = right_box
        self._row, self._center = row, center
        row.addWidget(right_box, 1)

    def _connect(self) -> None:
        wires: list[tuple[QToolButton | QPushButton, Callable[[], None]]] = [
            (self.mic, self.mic_clicked.emit),
            (self.camera, self.camera_clicked.emit),
            (self.share, self.screen_clicked.emit),
            (self.chat, self.chat_clicked.emit),
            (self.people, self.people_clicked.emit),
            (self.captions, self.captions_clicked.emit),
            (self.view, self.view_clicked.emit),
            (self.settings, self.settings_clicked.emit),
            (self.leave, self.leave_clicked.emit),
        ]
        for button, slot in wires:
            button.clicked.connect(slot)

    # ----- size ---------------------------------------------------------------------------

    def controls(self) -> list[QWidget]:
        """Every clickable control, left to right (what must stay on screen)."""
        widgets: list[QWidget] = [
            self.mic,
            self._mic_control.chevron,
            self.camera,
            self._camera_control.chevron,
        ]
        widgets += [self.share, self.chat, self.people, self.view, self.settings, self.leave]
        return widgets

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.set_compact(self.width() < COMPACT_BELOW, self.width() < TITLE_BELOW)

    def set_compact(self, compact: bool, without_title: bool = False) -> None:
        """Icons only (and no room title when ``without_title``) on small windows."""
        self._left_box.setVisible(not without_title)
        if compact == self.compact:
            return
        self.compact = compact
        for control in (self._mic_control, self._camera_control, *self._controls.values()):
            control.caption.setVisible(not compact)
        side = 0 if compact else 180
        self._left_box.setMinimumWidth(side)
        self._right_box.setMinimumWidth(0 if compact else 180)
        self._center.setSpacing(8 if compact else 14)
        self._row.setContentsMargins(12 if compact else 20, 8, 12 if compact else 20, 10)
        self.leave.setText("" if compact else "Leave")
        self.leave.setProperty("compact", compact)
        self.leave.style().unpolish(self.leave)
        self.leave.style().polish(self.leave)

    # ----- state ------------------------------------------------------------------------------

    def set_media(self, media: LocalMedia) -> None:
        self._media = media
        self.mic.set_icon("mic" if media.mic_on else "mic-off")
        self.mic.set_off(not media.mic_on)
        self._mic_control.caption.setText("Mute" if media.mic_on else "Unmute")
        self.camera.set_icon("camera" if media.camera_on else "camera-off")
        self.camera.set_off(not media.camera_on)
        self._camera_control.caption.setText("Stop video" if media.camera_on else "Start video")
        self.share.setChecked(media.screen_on)
        self._controls["screen"].caption.setText("Stop share" if media.screen_on else "Share")
        self.refresh_tooltips()

    def set_capabilities(self, caps: Capabilities) -> None:
        self._caps = caps
        self.refresh_tooltips()

    def set_view(self, mode: ViewMode) -> None:
        self.view.set_icon("grid" if mode is ViewMode.FOCUS else "speaker-view")
        self.view.setToolTip(
            "Show everyone in a grid" if mode is ViewMode.FOCUS else "Show the speaker large"
        )

    def set_unread(self, count: int) -> None:
        self.chat.set_badge(count)

    def set_panel(self, panel: str | None) -> None:
        self.chat.setChecked(panel == "chat")
        self.people.setChecked(panel == "people")

    def set_captions(self, on: bool) -> None:
        self.captions.setChecked(on)

    def set_people_count(self, count: int) -> None:
        self._controls["people"].caption.setText(f"People ({count})")

    def set_devices(
        self,
        kind: DeviceKind,
        devices: tuple[Device, ...],
        current: str,
        speakers: tuple[Device, ...] = (),
        speaker: str = "",
    ) -> None:
        control = self._mic_control if kind is DeviceKind.MICROPHONE else self._camera_control
        menu = control.menu
        assert menu is not None
        menu.clear()
        title = "Microphone" if kind is DeviceKind.MICROPHONE else "Camera"
        self._fill(menu, title, kind, devices, current)
        if kind is DeviceKind.MICROPHONE:
            menu.addSeparator()
            self._fill(menu, "Speaker", DeviceKind.SPEAKER, speakers, speaker)

    def _fill(
        self, menu: QMenu, title: str, kind: DeviceKind, devices: tuple[Device, ...], current: str
    ) -> None:
        header = menu.addAction(title)
        header.setEnabled(False)
        if not devices:
            none = menu.addAction("No device available")
            none.setEnabled(False)
        for device in devices:
            action = menu.addAction(device.name)
            action.setCheckable(True)
            action.setChecked(device.id == current or (not current and device is devices[0]))
            action.triggered.connect(lambda _=False, d=device: self.device_chosen.emit(kind, d.id))

    def refresh_tooltips(self) -> None:
        sc = self._shortcuts
        media = self._media
        self._tip(
            self.mic,
            self._caps.microphone,
            sc.tooltip(
                "Turn off microphone" if media.mic_on else "Turn on microphone", Action.TOGGLE_MIC
            )
            + f"\nHold {sc.key_text(Action.PUSH_TO_TALK)} to talk while muted",
        )
        self._tip(
            self.camera,
            self._caps.camera,
            sc.tooltip(
                "Turn off camera" if media.camera_on else "Turn on camera", Action.TOGGLE_CAMERA
            ),
        )
        self._tip(
            self.share,
            self._caps.screen_share,
            sc.tooltip(
                "Stop presenting" if media.screen_on else "Present your screen",
                Action.TOGGLE_SCREEN,
            ),
        )
        self._tip(self.chat, self._caps.chat, sc.tooltip("Chat with everyone", Action.TOGGLE_CHAT))
        self.people.setToolTip(sc.tooltip("Show everyone", Action.TOGGLE_PEOPLE))
        self.captions.setToolTip(
            sc.tooltip("Captions from the call's transcription", Action.TOGGLE_CAPTIONS)
        )
        self.settings.setToolTip("Settings: devices, shortcuts, theme")
        self.leave.setToolTip(sc.tooltip("Leave the call", Action.LEAVE))

    @staticmethod
    def _tip(button: QToolButton, feature: Feature, text: str) -> None:
        """Unavailable actions stay clickable and explain why (a disabled button cannot)."""
        if feature.available:
            button.setToolTip(text)
        else:
            button.setToolTip(f"{text}\n\nNot available: {feature.reason}")

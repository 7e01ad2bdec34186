"""``ParticipantsPanel``: everyone in the call with their state; host actions when allowed."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import Feature, ParticipantKind, ParticipantState
from lkdesk.ui.painting import paint_avatar
from lkdesk.ui.resources import icon, pixmap
from lkdesk.ui.theme import ROOM

#: How each kind of participant that is not a person is named in the list.
KIND_WORDS = {
    ParticipantKind.AGENT: "Agent",
    ParticipantKind.PHONE: "Phone call",
    ParticipantKind.INGRESS: "Stream input",
    ParticipantKind.EGRESS: "Recorder",
    ParticipantKind.CONNECTOR: "Connector",
    ParticipantKind.BRIDGE: "Bridge",
}


class Avatar(QWidget):
    def __init__(self, state: ParticipantState, size: int = 34) -> None:
        super().__init__()
        self.state = state
        self.setFixedSize(size, size)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        paint_avatar(painter, QRectF(self.rect()), self.state.identity, self.state.display_name)
        painter.end()


class ParticipantRow(QWidget):
    """One person: avatar, name, what they send, and (for hosts) a menu of actions."""

    action = Signal(str, str)  # action name, identity

    def __init__(self, state: ParticipantState, admin: Feature, move: Feature) -> None:
        super().__init__()
        self.setObjectName("ParticipantRow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.state = state
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 6, 4, 6)
        row.setSpacing(10)
        self.avatar = Avatar(state)
        row.addWidget(self.avatar)
        names = QVBoxLayout()
        names.setSpacing(0)
        self.name = QLabel()
        self.detail = QLabel()
        self.detail.setProperty("role", "muted")
        names.addWidget(self.name)
        names.addWidget(self.detail)
        row.addLayout(names, 1)
        self.mic = QLabel()
        self.camera = QLabel()
        row.addWidget(self.camera)
        row.addWidget(self.mic)
        self.more = QToolButton()
        self.more.setIcon(icon("more", ROOM.text, 18))
        self.more.setToolTip("Host actions")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        self._menu = QMenu(self.more)
        self.more.setMenu(self._menu)
        keep = self.more.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.more.setSizePolicy(keep)
        self._menu.aboutToShow.connect(self._fill_menu)
        row.addWidget(self.more)
        self._admin = admin
        self._move = move
        self.set_state(state, admin, move)

    def set_state(self, state: ParticipantState, admin: Feature, move: Feature) -> None:
        self.state = state
        self.avatar.state = state
        self.avatar.update()
        self._admin, self._move = admin, move
        name = state.display_name
        if state.is_local and name != "You":
            name = f"{name} (You)"
        self.name.setText(name)
        details = []
        if state.kind in KIND_WORDS:
            kind = KIND_WORDS[state.kind]
            details.append(f"{kind}: {state.agent_state}" if state.agent_state else kind)
        if state.speaking:
            details.append("Speaking")
        if state.screen_on:
            details.append("Presenting")
        if not state.can_publish:
            details.append("Cannot send audio or video")
        if not state.is_local and state.quality <= 1:
            details.append("Poor connection")
        if state.not_permitted:
            details.append(f"Not shared with you: {', '.join(state.not_permitted)}")
        self.detail.setText(" · ".join(details))
        self.detail.setVisible(bool(details))
        self.mic.setPixmap(
            pixmap(
                "mic" if state.mic_on else "mic-off", ROOM.text if state.mic_on else ROOM.off, 18
            )
        )
        self.mic.setToolTip("Microphone on" if state.mic_on else "Microphone off")
        self.camera.setPixmap(
            pixmap(
                "camera" if state.camera_on else "camera-off",
                ROOM.text if state.camera_on else ROOM.muted,
                18,
            )
        )
        self.camera.setToolTip("Camera on" if state.camera_on else "Camera off")
        self.more.setVisible(admin.available and not state.is_local)

    def _fill_menu(self) -> None:
        menu = self._menu
        menu.clear()
        s = self.state
        mute = menu.addAction("Mute microphone")
        mute.setEnabled(s.mic_on)
        mute.triggered.connect(lambda: self.action.emit("mute", s.identity))
        allow = "Block audio and video" if s.can_publish else "Allow audio and video"
        publish = menu.addAction(allow)
        publish.triggered.connect(
            lambda: self.action.emit("block" if s.can_publish else "allow", s.identity)
        )
        menu.addAction("Rename…").triggered.connect(lambda: self.action.emit("rename", s.identity))
        menu.addAction("Edit metadata…").triggered.connect(
            lambda: self.action.emit("metadata", s.identity)
        )
        move = menu.addAction("Move to another room…")
        move.setEnabled(self._move.available)
        if not self._move.available:
            move.setToolTip(self._move.reason)
        move.triggered.connect(lambda: self.action.emit("move", s.identity))
        menu.addSeparator()
        menu.addAction("Remove from the call").triggered.connect(
            lambda: self.action.emit("remove", s.identity)
        )


class ParticipantsPanel(QWidget):
    """The list; host actions are confirmed or asked for here, then emitted."""

    close_clicked = Signal()
    mute = Signal(str)
    remove = Signal(str)
    set_can_publish = Signal(str, bool)
    rename = Signal(str, str)
    move_to_room = Signal(str, str)
    set_metadata = Signal(str, str)
    dial_phone = Signal(str, str)  # phone number, outbound SIP trunk id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, ParticipantRow] = {}
        self._admin = Feature(False)
        self._move = Feature(False)
        self._dialog: QWidget | None = None
        column = QVBoxLayout(self)
        column.setContentsMargins(18, 14, 16, 16)
        column.setSpacing(8)
        header = QHBoxLayout()
        self.title = QLabel("People")
        self.title.setProperty("role", "heading")
        close = QToolButton()
        close.setIcon(icon("close", ROOM.text, 18))
        close.setIconSize(QSize(18, 18))
        close.setToolTip("Close")
        close.clicked.connect(self.close_clicked.emit)
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(close)
        column.addLayout(header)
        self.host_note = QLabel()
        self.host_note.setProperty("role", "muted")
        self.host_note.setWordWrap(True)
        column.addWidget(self.host_note)
        self.call_phone = QPushButton("Call a phone…")
        self.call_phone.setToolTip("Dial a phone number into the room (needs a SIP trunk)")
        self.call_phone.clicked.connect(self._ask_phone)
        column.addWidget(self.call_phone, 0, Qt.AlignmentFlag.AlignLeft)
        self._trunk = ""
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        self._list = QWidget()
        self._list.setObjectName("ParticipantList")
        self._rows_layout = QVBoxLayout(self._list)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(2)
        self._rows_layout.addStretch(1)
        scroll.setWidget(self._list)
        column.addWidget(scroll, 1)

    def set_admin(self, admin: Feature, move: Feature) -> None:
        self._admin, self._move = admin, move
        self.host_note.setText(
            "You are a host: use ⋯ next to someone to mute, remove or manage them."
            if admin.available
            else ""
        )
        self.host_note.setVisible(admin.available)
        self.call_phone.setVisible(admin.available)
        for row in self.rows.values():
            row.set_state(row.state, admin, move)

    def upsert(self, state: ParticipantState) -> None:
        row = self.rows.get(state.identity)
        if row is None:
            row = ParticipantRow(state, self._admin, self._move)
            row.action.connect(self._on_action)
            self.rows[state.identity] = row
            index = 0 if state.is_local else self._rows_layout.count() - 1
            self._rows_layout.insertWidget(index, row)
        else:
            row.set_state(state, self._admin, self._move)
        self._update_title()

    def remove_participant(self, identity: str) -> None:
        row = self.rows.pop(identity, None)
        if row is not None:
            self._rows_layout.removeWidget(row)
            row.deleteLater()
        self._update_title()

    def _update_title(self) -> None:
        self.title.setText(f"People ({len(self.rows)})")

    def _on_action(self, action: str, identity: str) -> None:
        row = self.rows.get(identity)
        name = row.state.display_name if row else identity
        if action == "mute":
            self.mute.emit(identity)
        elif action in ("block", "allow"):
            self.set_can_publish.emit(identity, action == "allow")
        elif action == "remove":
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Remove from the call",
                f"Remove {name} from the call? They can rejoin if their access allows it.",
                QMessageBox.StandardButton.Cancel,
                self,
            )
            remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
            box.buttonClicked.connect(lambda b: self.remove.emit(identity) if b is remove else None)
            self._open(box)
        elif action in ("rename", "move", "metadata"):
            dialog = QInputDialog(self)
            if action == "metadata":
                dialog.setWindowTitle("Edit metadata")
                dialog.setLabelText(f"Metadata of {name} (replaces what is there):")
                dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
                dialog.textValueSelected.connect(
                    lambda text: self.set_metadata.emit(identity, text)
                )
            elif action == "rename":
                dialog.setWindowTitle("Rename")
                dialog.setLabelText(f"New display name for {name}:")
                dialog.setTextValue(name)
                dialog.textValueSelected.connect(lambda text: self.rename.emit(identity, text))
            else:
                dialog.setWindowTitle("Move to another room")
                dialog.setLabelText(f"Move {name} to the room named:")
                dialog.textValueSelected.connect(
                    lambda text: self.move_to_room.emit(identity, text)
                )
            self._open(dialog)

    def _ask_phone(self) -> None:
        """Number and trunk in one small form; the session says what went wrong, if anything."""
        dialog = QDialog(self)
        dialog.setWindowTitle("Call a phone")
        form = QFormLayout(dialog)
        number = QLineEdit()
        number.setPlaceholderText("+44 20 7946 0000")
        trunk = QLineEdit(self._trunk)
        trunk.setPlaceholderText("ST_… (an outbound SIP trunk of your LiveKit project)")
        form.addRow("Phone number", number)
        form.addRow("SIP trunk", trunk)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Call")
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)

        def call() -> None:
            self._trunk = trunk.text().strip()
            self.dial_phone.emit(number.text().strip(), self._trunk)

        dialog.accepted.connect(call)
        self._open(dialog)

    def _open(self, dialog: QWidget) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialog = dialog
        dialog.open()  # type: ignore[attr-defined]

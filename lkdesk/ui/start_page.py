"""``StartPage``: the demo room, saved servers, and a new connection (token or API key)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import (
    ApiKeyTarget,
    AuthKind,
    DemoTarget,
    InvalidTargetError,
    JoinTarget,
    Profile,
    ProfileTarget,
    TokenTarget,
    check_url,
    describe_token,
)
from lkdesk.ui.resources import icon, pixmap

GUIDANCE = (
    "<b>No server yet?</b> Run one on this computer with "
    "<code>livekit-server --dev</code> and connect to <code>ws://localhost:7880</code> "
    "with API key <code>devkey</code> and secret <code>secret</code>. Or create a free "
    'project on <a href="https://cloud.livekit.io">LiveKit Cloud</a> and copy its URL, '
    "API key and secret from Settings → Keys. "
    '<a href="https://docs.livekit.io/home/self-hosting/local/">How to run a server</a>'
)


@dataclass(frozen=True, slots=True)
class JoinRequest:
    """What the start page asks for: a target, and whether to save it as a profile."""

    target: JoinTarget
    save_label: str | None = None  # None: do not save


def _card() -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setProperty("card", True)
    column = QVBoxLayout(frame)
    column.setContentsMargins(24, 20, 24, 22)
    column.setSpacing(10)
    return frame, column


def _label(text: str, role: str = "") -> QLabel:
    label = QLabel(text)
    if role:
        label.setProperty("role", role)
    label.setWordWrap(True)
    return label


def _mark_invalid(widget: QWidget, invalid: bool) -> None:
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class StartPage(QWidget):
    """Emits ``join_requested(JoinRequest)``; shows field errors the window reports back."""

    join_requested = Signal(object)
    forget_requested = Signal(str)
    session_only_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StartPage")
        self._profiles: dict[str, Profile] = {}
        page = QHBoxLayout(self)
        page.setContentsMargins(40, 24, 40, 24)
        content = QWidget()
        content.setMaximumWidth(1120)
        page.addWidget(content)
        outer = QVBoxLayout(content)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(18)
        outer.addStretch(1)
        outer.addLayout(self._header())
        cards = QHBoxLayout()
        cards.setSpacing(20)
        cards.addWidget(self._left_card(), 5)
        cards.addWidget(self._connect_card(), 6)
        outer.addLayout(cards)
        guide = _label(GUIDANCE, "muted")
        guide.setTextFormat(Qt.TextFormat.RichText)
        guide.setOpenExternalLinks(True)
        outer.addWidget(guide)
        outer.addStretch(2)

    # ----- construction ----------------------------------------------------------------------

    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(14)
        logo = QLabel()
        logo.setPixmap(pixmap("logo", "#ffffff", 44, 2.0))
        row.addWidget(logo)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(_label("lkdesk", "title"))
        titles.addWidget(_label("Video meetings on your own LiveKit server.", "muted"))
        row.addLayout(titles, 1)
        return row

    def _left_card(self) -> QFrame:
        frame, column = _card()
        column.addWidget(_label("Try it now", "heading"))
        column.addWidget(
            _label(
                "A room with simulated people, moving video and chat. No server, no account.",
                "muted",
            )
        )
        self.demo_button = QPushButton("  Try the demo room")
        self.demo_button.setProperty("kind", "primary")
        on_accent = self.palette().color(QPalette.ColorRole.HighlightedText).name()
        self.demo_button.setIcon(icon("demo", on_accent, 18))
        self.demo_button.setIconSize(QSize(18, 18))
        self.demo_button.clicked.connect(
            lambda: self.join_requested.emit(JoinRequest(DemoTarget()))
        )
        column.addWidget(self.demo_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addSpacing(10)
        column.addWidget(_label("Saved servers", "heading"))
        self.keyring_note = _label("", "warning")
        self.keyring_note.hide()
        column.addWidget(self.keyring_note)
        self.session_only = QPushButton("Keep secrets for this session only")
        self.session_only.setProperty("kind", "link")
        self.session_only.clicked.connect(self.session_only_requested.emit)
        self.session_only.hide()
        column.addWidget(self.session_only, 0, Qt.AlignmentFlag.AlignLeft)
        self.profile_list = QListWidget()
        self.profile_list.setObjectName("ProfileList")
        self.profile_list.currentItemChanged.connect(self._profile_selected)
        self.profile_list.itemDoubleClicked.connect(lambda _: self._join_profile())
        column.addWidget(self.profile_list, 1)
        self.empty_profiles = _label(
            "Servers you save appear here. Their secrets are kept in your system keyring.",
            "muted",
        )
        column.addWidget(self.empty_profiles)
        self._profile_form = QWidget()
        form = QHBoxLayout(self._profile_form)
        form.setContentsMargins(0, 0, 0, 0)
        self.profile_room = QLineEdit()
        self.profile_room.setPlaceholderText("Room name")
        self.profile_room.returnPressed.connect(self._join_profile)
        self.profile_join = QPushButton("Join")
        self.profile_join.setProperty("kind", "primary")
        self.profile_join.clicked.connect(self._join_profile)
        forget = QPushButton("Forget")
        forget.setToolTip("Remove this server and its secrets from lkdesk")
        forget.clicked.connect(self._forget)
        form.addWidget(self.profile_room, 1)
        form.addWidget(self.profile_join)
        form.addWidget(forget)
        self._profile_form.hide()
        column.addWidget(self._profile_form)
        self.profile_error = _label("", "error")
        self.profile_error.hide()
        column.addWidget(self.profile_error)
        return frame

    def _connect_card(self) -> QFrame:
        frame, column = _card()
        column.addWidget(_label("Connect to a server", "heading"))
        self.url = QLineEdit()
        self.url.setPlaceholderText("wss://your-project.livekit.cloud or ws://localhost:7880")
        self.url_error = _label("", "error")
        self.url_error.hide()
        url_form = QFormLayout()
        url_form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        url_form.addRow("Server URL", self.url)
        column.addLayout(url_form)
        column.addWidget(self.url_error)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._token_tab(), "I have a token")
        self.tabs.addTab(self._key_tab(), "I have an API key")
        column.addWidget(self.tabs, 1)
        bottom = QHBoxLayout()
        self.save = QCheckBox("Save this server")
        self.save.setToolTip("Secrets go to your system keyring, never to a plain file.")
        self.save.setChecked(True)
        self.continue_button = QPushButton("Continue")
        self.continue_button.setProperty("kind", "primary")
        self.continue_button.clicked.connect(self._continue)
        bottom.addWidget(self.save)
        bottom.addStretch(1)
        bottom.addWidget(self.continue_button)
        column.addLayout(bottom)
        self.form_error = _label("", "error")
        self.form_error.hide()
        column.addWidget(self.form_error)
        return frame

    def _token_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.setContentsMargins(0, 12, 0, 0)
        column.setSpacing(6)
        self.token = QPlainTextEdit()
        self.token.setPlaceholderText("Paste the access token (eyJhbGciOi…)")
        self.token.setFixedHeight(78)
        self.token.textChanged.connect(self._token_changed)
        column.addWidget(self.token)
        self.token_details = _label("", "details")
        self.token_details.hide()
        column.addWidget(self.token_details)
        self.token_error = _label("", "error")
        self.token_error.hide()
        column.addWidget(self.token_error)
        column.addStretch(1)
        return tab

    def _key_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        form.setContentsMargins(0, 12, 0, 0)
        form.setVerticalSpacing(8)
        self.api_key = QLineEdit()
        self.api_key.setPlaceholderText("e.g. devkey")
        self.api_secret = QLineEdit()
        self.api_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_secret.setPlaceholderText("kept in your system keyring")
        self.room = QLineEdit()
        self.room.setPlaceholderText("e.g. standup")
        self.key_error = _label("", "error")
        self.key_error.hide()
        form.addRow("API key", self.api_key)
        form.addRow("API secret", self.api_secret)
        form.addRow("Room", self.room)
        form.addRow(self.key_error)
        return tab

    # ----- profiles ---------------------------------------------------------------------------

    def set_profiles(self, profiles: tuple[Profile, ...], keyring_problem: str | None) -> None:
        self._profiles = {p.id: p for p in profiles}
        self.profile_list.clear()
        for profile in profiles:
            if profile.auth_kind is AuthKind.API_KEY:
                self._add_item(f"{profile.label}\n{profile.server_url}", profile.id, "", "")
            for ref in profile.tokens:
                text = f"{profile.label}\nroom {ref.room} as {ref.identity}"
                self._add_item(text, profile.id, ref.room, ref.identity)
        has = self.profile_list.count() > 0
        self.profile_list.setVisible(has)
        self.empty_profiles.setVisible(not has and not keyring_problem)
        self.keyring_note.setText(keyring_problem or "")
        self.keyring_note.setVisible(bool(keyring_problem))
        self.session_only.setVisible(bool(keyring_problem))
        self.save.setEnabled(not keyring_problem)
        if keyring_problem:
            self.save.setChecked(False)
        self._profile_form.hide()

    def _add_item(self, text: str, profile_id: str, room: str, identity: str) -> None:
        item = QListWidgetItem(icon("server", self.palette().text().color().name(), 20), text)
        item.setData(Qt.ItemDataRole.UserRole, (profile_id, room, identity))
        self.profile_list.addItem(item)

    def _selected(self) -> tuple[str, str, str] | None:
        item = self.profile_list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)  # type: ignore[no-any-return]

    def _profile_selected(self) -> None:
        selected = self._selected()
        self.profile_error.hide()
        if selected is None:
            self._profile_form.hide()
            return
        profile_id, room, _ = selected
        is_key = self._profiles[profile_id].auth_kind is AuthKind.API_KEY
        self.profile_room.setVisible(is_key)
        self.profile_room.setText("" if is_key else room)
        self._profile_form.show()

    def _join_profile(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        profile_id, room, identity = selected
        if self._profiles[profile_id].auth_kind is AuthKind.API_KEY:
            room = self.profile_room.text().strip()
            if not room:
                self.show_error("profile", "Enter the name of the room to join.")
                return
        target = ProfileTarget(profile_id, room=room, identity=identity)
        self.join_requested.emit(JoinRequest(target))

    def _forget(self) -> None:
        selected = self._selected()
        if selected is not None:
            self.forget_requested.emit(selected[0])

    # ----- new connection ------------------------------------------------------------------------

    def _token_changed(self) -> None:
        text = self.token.toPlainText().strip()
        self.token_error.hide()
        _mark_invalid(self.token, False)
        if not text:
            self.token_details.hide()
            return
        try:
            details = describe_token(text)
        except InvalidTargetError as exc:
            self.token_details.hide()
            self.show_error("token", str(exc))
            return
        rights = "host (can mute and remove people)" if details.is_admin else "participant"
        expiry = details.expires_in_words()
        self.token_details.setText(
            f"<b>Identity</b> {details.identity or '(none)'} &nbsp; "
            f"<b>Room</b> {details.room or '(none)'}<br>"
            f"<b>Role</b> {rights} &nbsp; <b>Token</b> {expiry}"
        )
        self.token_details.show()
        if details.expired():
            self.show_error("token", f"This token {expiry}. Ask for a new one.")

    def _continue(self) -> None:
        self.clear_errors()
        url = self.url.text()
        try:
            check_url(url)
        except InvalidTargetError as exc:
            self.show_error("url", str(exc))
            return
        target: JoinTarget
        if self.tabs.currentIndex() == 0:
            token = self.token.toPlainText().strip()
            try:
                describe_token(token)
            except InvalidTargetError as exc:
                self.show_error("token", str(exc))
                return
            target = TokenTarget(url, token)
        else:
            target = ApiKeyTarget(
                url, self.api_key.text(), self.api_secret.text(), room=self.room.text()
            )
        label = url.strip() if self.save.isChecked() and self.save.isEnabled() else None
        self.join_requested.emit(JoinRequest(target, label))

    # ----- errors --------------------------------------------------------------------------------

    def clear_errors(self) -> None:
        for label in (
            self.url_error,
            self.token_error,
            self.key_error,
            self.form_error,
            self.profile_error,
        ):
            label.hide()
        for widget in (self.url, self.token, self.api_key, self.api_secret, self.room):
            _mark_invalid(widget, False)

    def show_error(self, field: str, message: str) -> None:
        """Show ``message`` under ``field`` (url, token, api_key, api_secret, room, profile)."""
        widgets: dict[str, tuple[QLabel, QWidget | None]] = {
            "url": (self.url_error, self.url),
            "token": (self.token_error, self.token),
            "api_key": (self.key_error, self.api_key),
            "api_secret": (self.key_error, self.api_secret),
            "room": (self.key_error, self.room),
            "profile": (self.profile_error, None),
        }
        label, widget = widgets.get(field, (self.form_error, None))
        label.setText(message)
        label.show()
        if widget is not None:
            _mark_invalid(widget, True)
            widget.setFocus()
        if field in ("token",):
            self.tabs.setCurrentIndex(0)
        elif field in ("api_key", "api_secret", "room"):
            self.tabs.setCurrentIndex(1)

    def set_busy(self, busy: bool) -> None:
        for button in (self.continue_button, self.demo_button, self.profile_join):
            button.setEnabled(not busy)

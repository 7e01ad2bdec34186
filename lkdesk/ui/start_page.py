"""``StartPage``: the demo room, saved servers, and a new connection (token or API key)."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import (
    AuthKind,
    DemoTarget,
    JoinTarget,
    Profile,
    ProfileTarget,
)
from lkdesk.ui.connect_card import ConnectCard
from lkdesk.ui.resources import icon, pixmap
from lkdesk.ui.trusted_ca import TrustedCaPicker
from lkdesk.ui.widgets import card, label

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
    passphrase: str = field(default="", repr=False)  # end-to-end encryption, if any


class StartPage(QWidget):
    """Emits ``join_requested(JoinRequest)``; shows field errors the window reports back."""

    join_requested = Signal(object)
    link_entered = Signal(str)
    forget_requested = Signal(str)
    rename_requested = Signal(str, str)
    session_only_requested = Signal()
    settings_requested = Signal()
    console_requested = Signal()  # the rooms on every saved server (admin_console.py)
    trusted_ca_changed = Signal(str, str)  # profile id, PEM ("" : system CAs only)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StartPage")
        self._profiles: dict[str, Profile] = {}
        page = QHBoxLayout(self)
        page.setContentsMargins(32, 20, 32, 20)
        content = QWidget()
        content.setMaximumWidth(1120)
        page.addWidget(content)
        outer = QVBoxLayout(content)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(16)
        outer.addStretch(1)
        outer.addLayout(self._header())
        cards = QHBoxLayout()
        cards.setSpacing(20)
        cards.addWidget(self._left_card(), 5)
        self.connect_card = ConnectCard()
        cards.addWidget(self.connect_card, 6)
        outer.addLayout(cards)
        guide = label(GUIDANCE, "muted")
        guide.setTextFormat(Qt.TextFormat.RichText)
        guide.setOpenExternalLinks(True)
        outer.addWidget(guide)
        outer.addStretch(2)
        c = self.connect_card
        c.join_requested.connect(
            lambda t, name: self.join_requested.emit(JoinRequest(t, name, c.passphrase.text()))
        )
        c.link_entered.connect(self.link_entered.emit)
        # the card's fields, as the window and tests know them
        self.url, self.token, self.tabs = c.url, c.token, c.tabs
        self.api_key, self.api_secret, self.room = c.api_key, c.api_secret, c.room
        self.url_error, self.token_error, self.key_error = c.url_error, c.token_error, c.key_error
        self.form_error, self.token_details = c.form_error, c.token_details
        self.save, self.server_name, self.continue_button = c.save, c.name, c.continue_button

    # ----- construction ----------------------------------------------------------------------

    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(14)
        logo = QLabel()
        logo.setPixmap(pixmap("logo", "#ffffff", 44, 2.0))
        row.addWidget(logo)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(label("lkdesk", "title"))
        titles.addWidget(label("Video meetings on your own LiveKit server.", "muted"))
        row.addLayout(titles, 1)
        self.settings_button = QToolButton()
        self.settings_button.setObjectName("HeaderButton")
        self.settings_button.setIcon(icon("settings", self.palette().text().color().name(), 22))
        self.settings_button.setIconSize(QSize(22, 22))
        self.settings_button.setToolTip("Settings: devices, shortcuts, privacy")
        self.settings_button.clicked.connect(self.settings_requested.emit)
        self.console_button = QToolButton()
        self.console_button.setObjectName("HeaderButton")
        self.console_button.setIcon(icon("server", self.palette().text().color().name(), 22))
        self.console_button.setIconSize(QSize(22, 22))
        self.console_button.setToolTip("Rooms on your servers: who is in them, with their tracks")
        self.console_button.clicked.connect(self.console_requested.emit)
        row.addWidget(self.console_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _left_card(self) -> QFrame:
        frame = QFrame()
        column = card(frame)
        column.addWidget(label("Try it now", "heading"))
        column.addWidget(
            label(
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
        column.addSpacing(6)
        column.addWidget(label("Saved servers", "heading"))
        self.keyring_note = label("", "warning")
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
        self.empty_profiles = label("", "muted")
        column.addWidget(self.empty_profiles)
        column.addWidget(self._profile_form())
        self.profile_ca = TrustedCaPicker()
        self.profile_ca.changed.connect(self._profile_ca_changed)
        self.profile_ca.hide()
        column.addWidget(self.profile_ca)
        self.profile_error = label("", "error")
        self.profile_error.hide()
        column.addWidget(self.profile_error)
        return frame

    def _profile_form(self) -> QWidget:
        self._form = QWidget()
        form = QHBoxLayout(self._form)
        form.setContentsMargins(0, 0, 0, 0)
        self.profile_room = QLineEdit()
        self.profile_room.setPlaceholderText("Room name")
        self.profile_room.returnPressed.connect(self._join_profile)
        self.rename_edit = QLineEdit()
        self.rename_edit.setPlaceholderText("New name, then Enter")
        self.rename_edit.returnPressed.connect(self._rename)
        self.rename_edit.hide()
        self.profile_join = QPushButton("Join")
        self.profile_join.setProperty("kind", "primary")
        self.profile_join.clicked.connect(self._join_profile)
        rename = QPushButton("Rename")
        rename.setToolTip("Give this server another name")
        rename.clicked.connect(self._start_rename)
        forget = QPushButton("Forget")
        forget.setToolTip("Remove this server and its secrets from lkdesk")
        forget.clicked.connect(self._forget)
        for widget in (self.profile_room, self.rename_edit):
            form.addWidget(widget, 1)
        for button in (self.profile_join, rename, forget):
            form.addWidget(button)
        self._form.hide()
        return self._form

    # ----- profiles ---------------------------------------------------------------------------

    def set_profiles(
        self,
        profiles: tuple[Profile, ...],
        keyring_problem: str | None,
        session_only: bool = False,
    ) -> None:
        """List saved servers: the name the user chose, the URL and who it joins as."""
        self._profiles = {p.id: p for p in profiles}
        self.profile_list.clear()
        for profile in profiles:
            if profile.auth_kind is AuthKind.API_KEY:
                text = f"{profile.label}\n{profile.server_url} · API key {profile.api_key}"
                self._add_item(text, profile.id, "", "")
            for ref in profile.tokens:
                text = f"{profile.label}\n{profile.server_url} · {ref.identity} in {ref.room}"
                self._add_item(text, profile.id, ref.room, ref.identity)
        has = self.profile_list.count() > 0
        self.profile_list.setVisible(has)
        where = (
            "kept only until lkdesk closes (no keyring is used)"
            if session_only
            else "kept in your system keyring"
        )
        self.empty_profiles.setText(f"Servers you save appear here. Their secrets are {where}.")
        self.empty_profiles.setVisible(not keyring_problem and (not has or session_only))
        if has and session_only:
            self.empty_profiles.setText(f"Secrets of these servers are {where}.")
        self.keyring_note.setText(keyring_problem or "")
        self.keyring_note.setVisible(bool(keyring_problem))
        self.session_only.setVisible(bool(keyring_problem))
        self.connect_card.set_secrets_note(session_only=session_only, usable=not keyring_problem)
        self._form.hide()
        self.profile_ca.hide()

    def _add_item(self, text: str, profile_id: str, room: str, identity: str) -> None:
        item = QListWidgetItem(icon("server", self.palette().text().color().name(), 20), text)
        item.setData(Qt.ItemDataRole.UserRole, (profile_id, room, identity))
        item.setToolTip(text.replace("\n", " · "))
        self.profile_list.addItem(item)

    def _selected(self) -> tuple[str, str, str] | None:
        item = self.profile_list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)  # type: ignore[no-any-return]

    def _profile_selected(self) -> None:
        selected = self._selected()
        self.profile_error.hide()
        self.rename_edit.hide()
        if selected is None:
            self._form.hide()
            self.profile_ca.hide()
            return
        profile_id, room, _ = selected
        self.profile_ca.set_pem(self._profiles[profile_id].trusted_ca_pem)
        self.profile_ca.show()
        is_key = self._profiles[profile_id].auth_kind is AuthKind.API_KEY
        self.profile_room.setVisible(is_key)
        self.profile_room.setText("" if is_key else room)
        self._form.show()

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
        target: JoinTarget = ProfileTarget(profile_id, room=room, identity=identity)
        self.join_requested.emit(JoinRequest(target))

    def profile_updated(self, profile: Profile) -> None:
        """A saved server changed (e.g. its trusted CA) without the list changing."""
        self._profiles[profile.id] = profile

    def _profile_ca_changed(self, pem: str) -> None:
        selected = self._selected()
        if selected is not None:
            self.trusted_ca_changed.emit(selected[0], pem)

    def _forget(self) -> None:
        selected = self._selected()
        if selected is not None:
            self.forget_requested.emit(selected[0])

    def _start_rename(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        self.profile_room.hide()
        self.rename_edit.setText(self._profiles[selected[0]].label)
        self.rename_edit.show()
        self.rename_edit.setFocus()
        self.rename_edit.selectAll()

    def _rename(self) -> None:
        selected = self._selected()
        name = self.rename_edit.text().strip()
        if selected is not None and name:
            self.rename_requested.emit(selected[0], name)

    # ----- errors --------------------------------------------------------------------------------

    def clear_errors(self) -> None:
        self.connect_card.clear_errors()
        self.profile_error.hide()

    def show_error(self, field: str, message: str) -> None:
        """Show ``message`` under ``field`` (url, link, token, api_key, api_secret, room,
        profile; anything else under the form)."""
        if field == "profile":
            self.profile_error.setText(message)
            self.profile_error.show()
        else:
            self.connect_card.show_error(field, message)

    def visible_error(self) -> str:
        """The first error shown on the page ("" when none)."""
        for error in (*self.connect_card.error_labels(), self.profile_error):
            if error.isVisible() or not error.isHidden():
                return error.text()
        return ""

    def set_busy(self, busy: bool, note: str = "") -> None:
        self.connect_card.set_busy(busy, note)
        for button in (self.demo_button, self.profile_join):
            button.setEnabled(not busy)

"""The start page's "Connect to a server" card: URL (or a meeting link), token or API key."""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import (
    ApiKeyTarget,
    InvalidTargetError,
    JoinTarget,
    TokenTarget,
    check_url,
    describe_token,
    looks_like_link,
    parse_link,
)
from lkdesk.ui.trusted_ca import TrustedCaPicker
from lkdesk.ui.widgets import card, label, mark_invalid


class ConnectCard(QFrame):
    """Emits ``join_requested(target, save_label or None)`` or ``link_entered(text)``."""

    join_requested = Signal(object, object)
    link_entered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        column = card(self)
        column.addWidget(label("Connect to a server", "heading"))
        self.url = QLineEdit()
        self.url.setPlaceholderText("wss://your-project.livekit.cloud, or paste a meeting link")
        self.url.textChanged.connect(self._url_changed)
        self.url_error = label("", "error")
        self.url_error.hide()
        self.link_note = label("", "ok")
        self.link_note.hide()
        url_form = QFormLayout()
        url_form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        url_form.addRow("Server URL", self.url)
        self.passphrase = QLineEdit()  # end-to-end encryption; a Meet link's #passphrase
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("optional: an end-to-end encrypted room's passphrase")
        url_form.addRow("Passphrase", self.passphrase)
        column.addLayout(url_form)
        column.addWidget(self.url_error)
        self.trusted_ca = TrustedCaPicker()
        column.addWidget(self.trusted_ca)
        column.addWidget(self.link_note)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._token_tab(), "I have a token")
        self.tabs.addTab(self._key_tab(), "I have an API key")
        column.addWidget(self.tabs, 1)
        save_row = QHBoxLayout()
        self.save = QCheckBox("Save this server as")
        self.save.setChecked(True)
        self.name = QLineEdit()
        self.name.setPlaceholderText("a name, e.g. Team server")
        self.save.toggled.connect(self.name.setEnabled)
        save_row.addWidget(self.save)
        save_row.addWidget(self.name, 1)
        column.addLayout(save_row)
        bottom = QHBoxLayout()
        self.check_note = label("", "muted")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setProperty("kind", "primary")
        self.continue_button.clicked.connect(self._continue)
        bottom.addWidget(self.check_note, 1)
        bottom.addWidget(self.continue_button)
        column.addLayout(bottom)
        self.form_error = label("", "error")
        self.form_error.hide()
        column.addWidget(self.form_error)
        self.set_secrets_note(session_only=False)

    def _token_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.setContentsMargins(0, 12, 0, 0)
        column.setSpacing(6)
        self.token = QPlainTextEdit()
        self.token.setPlaceholderText("Paste the access token (eyJhbGciOi…)")
        self.token.setFixedHeight(64)
        self.token.textChanged.connect(self._token_changed)
        column.addWidget(self.token)
        self.token_details = label("", "details")
        self.token_details.hide()
        column.addWidget(self.token_details)
        self.token_error = label("", "error")
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
        self.room = QLineEdit()
        self.room.setPlaceholderText("e.g. standup")
        self.key_error = label("", "error")
        self.key_error.hide()
        form.addRow("API key", self.api_key)
        form.addRow("API secret", self.api_secret)
        form.addRow("Room", self.room)
        form.addRow(self.key_error)
        return tab

    def set_secrets_note(self, *, session_only: bool, usable: bool = True) -> None:
        """Say truthfully where a saved server's secrets go."""
        where = "kept only until lkdesk closes" if session_only else "go to your system keyring"
        self.save.setToolTip(f"Secrets {where}, never to a plain file.")
        self.api_secret.setPlaceholderText(
            "kept only until lkdesk closes" if session_only else "kept in your system keyring"
        )
        self.save.setEnabled(usable)
        self.name.setEnabled(usable and self.save.isChecked())
        if not usable:
            self.save.setChecked(False)

    # ----- input ----------------------------------------------------------------------------

    def _url_changed(self, text: str) -> None:
        self.link_note.hide()
        if not looks_like_link(text):
            return
        try:
            link = parse_link(text)
        except InvalidTargetError as exc:
            self.show_error("url", str(exc))
            return
        self.url_error.hide()
        self.room.setText(link.room)
        if link.passphrase:
            self.passphrase.setText(link.passphrase)
        locked = ", end-to-end encrypted with its passphrase" if link.passphrase else ""
        self.link_note.setText(
            f"Meeting link for room “{link.room}” on {link.url}{locked}. Press Continue to join."
        )
        self.link_note.show()

    def _token_changed(self) -> None:
        text = self.token.toPlainText().strip()
        self.token_error.hide()
        mark_invalid(self.token, False)
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
        if looks_like_link(url):
            self.link_entered.emit(url.strip())
            return
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
            target = TokenTarget(url, token, self.trusted_ca.pem)
        else:
            target = ApiKeyTarget(
                url,
                self.api_key.text(),
                self.api_secret.text(),
                room=self.room.text(),
                trusted_ca_pem=self.trusted_ca.pem,
            )
        label_text = None
        if self.save.isChecked() and self.save.isEnabled():
            label_text = self.name.text().strip() or urlsplit(url.strip()).netloc or url.strip()
        self.join_requested.emit(target, label_text)

    # ----- errors ----------------------------------------------------------------------------

    def error_labels(self) -> tuple[QLabel, ...]:
        return (self.url_error, self.token_error, self.key_error, self.form_error)

    def clear_errors(self) -> None:
        for error in self.error_labels():
            error.hide()
        for widget in (self.url, self.token, self.api_key, self.api_secret, self.room):
            mark_invalid(widget, False)

    def show_error(self, field: str, message: str) -> None:
        """Show ``message`` under ``field`` (url, link, token, api_key, api_secret, room,
        trusted_ca)."""
        if field == "trusted_ca":
            self.trusted_ca.show_error(message)
            return
        widgets: dict[str, tuple[QLabel, QWidget | None]] = {
            "url": (self.url_error, self.url),
            "link": (self.url_error, self.url),
            "token": (self.token_error, self.token),
            "api_key": (self.key_error, self.api_key),
            "api_secret": (self.key_error, self.api_secret),
            "room": (self.key_error, self.room),
        }
        error, widget = widgets.get(field, (self.form_error, None))
        error.setText(message)
        error.show()
        if widget is not None:
            mark_invalid(widget, True)
            widget.setFocus()
        if field == "token":
            self.tabs.setCurrentIndex(0)
        elif field in ("api_key", "api_secret", "room"):
            self.tabs.setCurrentIndex(1)

    def set_busy(self, busy: bool, note: str = "") -> None:
        self.continue_button.setEnabled(not busy)
        self.check_note.setText(note if busy else "")

"""``MainWindow``: start → pre-join → room → ended, one session at a time.

Every async step runs through the :class:`ActionRunner` (owned tasks, errors as messages);
nothing here blocks the loop or opens a nested event loop.
"""

from __future__ import annotations

import getpass
import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

from lkdesk.core.errors import LkdeskError
from lkdesk.session import (
    ApiKeyTarget,
    AudioProcessingSettings,
    DemoTarget,
    DeviceKind,
    InvalidTargetError,
    JoinOptions,
    JoinTarget,
    NoticeLevel,
    ProfileTarget,
    Session,
    SessionFactory,
    SessionState,
    Status,
    TokenTarget,
)
from lkdesk.ui.actions import ActionRunner
from lkdesk.ui.bridge import SessionBridge
from lkdesk.ui.ended_page import EndedPage
from lkdesk.ui.overlays import HelpOverlay
from lkdesk.ui.prejoin_page import PreJoinPage
from lkdesk.ui.room_page import RoomPage
from lkdesk.ui.settings import AppSettings
from lkdesk.ui.settings_dialog import SettingsDialog
from lkdesk.ui.shortcuts import Action, Shortcuts
from lkdesk.ui.start_page import JoinRequest, StartPage
from lkdesk.ui.theme import ThemeController

logger = logging.getLogger(__name__)


def default_name() -> str:
    """A first guess at the user's name: their login name, capitalised."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        return "Guest"
    return login.replace(".", " ").replace("_", " ").title() or "Guest"


class MainWindow(QMainWindow):
    """The application window. ``closed`` fires when the user closes it."""

    closed = Signal()

    def __init__(
        self, factory: SessionFactory, settings: AppSettings,
        theme: ThemeController | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("lkdesk")
        self.setMinimumSize(960, 620)
        self.factory = factory
        self.settings = settings
        self._theme = theme
        self.runner = ActionRunner(self)
        self.runner.failed.connect(self._show_failure)
        self.shortcuts = Shortcuts(self, settings)
        self.session: Session | None = None
        self._bridge: SessionBridge | None = None
        self._target: JoinTarget | None = None
        self._options: JoinOptions | None = None
        self._joining = False
        self.start = StartPage()
        self.prejoin = PreJoinPage()
        self.room = RoomPage(self.shortcuts, self.runner, settings)
        self.ended = EndedPage()
        self.pages = QStackedWidget()
        for page in (self.start, self.prejoin, self.room, self.ended):
            self.pages.addWidget(page)
        self.setCentralWidget(self.pages)
        self.help = HelpOverlay(self, self.shortcuts)
        self._settings_dialog: SettingsDialog | None = None
        self._wire()
        geometry = settings.geometry
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        self.shortcuts.set_room_active(False)
        if factory.book is not None:
            self.refresh_profiles()

    def _wire(self) -> None:
        self.start.join_requested.connect(self.open_target)
        self.start.forget_requested.connect(self._forget)
        self.start.session_only_requested.connect(self._session_only)
        self.prejoin.join_clicked.connect(self.join)
        self.prejoin.back_clicked.connect(self.back_to_start)
        self.prejoin.preview_changed.connect(self._preview_changed)
        self.prejoin.test_speaker_clicked.connect(self._test_speaker)
        self.prejoin.device_changed.connect(self._device_changed)
        self.prejoin.processing.changed.connect(self.set_audio_processing)
        self.room.leave_requested.connect(self.leave)
        self.room.settings_requested.connect(self.open_settings)
        self.ended.home_clicked.connect(self.back_to_start)
        self.ended.rejoin_clicked.connect(self.rejoin)
        self.shortcuts.triggered.connect(self._shortcut)
        self.shortcuts.talk.connect(self.room.push_to_talk)

    # ----- start page ------------------------------------------------------------------------

    def refresh_profiles(self) -> None:
        book = self.factory.book
        if book is None:
            return

        async def load() -> None:
            self.start.set_profiles(await book.profiles(), book.keyring_problem)

        self.runner.run(load(), "load the saved servers",
                        on_error=lambda m: self.start.show_error("profile", m))

    def _forget(self, profile_id: str) -> None:
        book = self.factory.book
        if book is None:
            return

        async def forget() -> None:
            await book.forget(profile_id)
            self.start.set_profiles(await book.profiles(), book.keyring_problem)

        self.runner.run(forget(), "forget the server",
                        on_error=lambda m: self.start.show_error("profile", m))

    def _session_only(self) -> None:
        if self.factory.book is not None:
            self.factory.book.use_session_only_secrets()
            self.refresh_profiles()

    def open_target(self, request: JoinRequest) -> None:
        self.start.clear_errors()
        self.start.set_busy(True)
        self.runner.run(self._open(request), "open the connection", on_error=self._start_error)

    async def _open(self, request: JoinRequest) -> None:
        target = request.target
        if isinstance(target, DemoTarget) and not target.display_name:
            target = DemoTarget(self.settings.display_name)
        try:
            session = await self.factory.open(target)
        except InvalidTargetError as exc:
            field = "profile" if isinstance(target, ProfileTarget) else exc.field
            self.start.set_busy(False)
            self.start.show_error(field, str(exc))
            return
        finally:
            self.start.set_busy(False)
        self._target = target
        note = await self._save(request)
        await session.refresh_devices()
        self._show_prejoin(session)
        if note:
            self.prejoin.show_error(note)

    async def _save(self, request: JoinRequest) -> str:
        book, target = self.factory.book, request.target
        if request.save_label is None or book is None or not book.usable:
            return ""
        try:
            if isinstance(target, TokenTarget):
                await book.save_token(request.save_label, target.url, target.token)
            elif isinstance(target, ApiKeyTarget):
                await book.save_api_key(request.save_label, target.url, target.api_key,
                                        target.api_secret)
            else:
                return ""
        except LkdeskError as exc:
            return f"The server was not saved: {exc}"
        self.settings.last_url = request.save_label
        self.refresh_profiles()
        return ""

    def _start_error(self, message: str) -> None:
        self.start.set_busy(False)
        self.start.show_error("form", message)

    # ----- pre-join --------------------------------------------------------------------------

    def _adopt(self, session: Session) -> SessionBridge:
        self.session = session
        self._bridge = SessionBridge(session, self)
        self._bridge.status.connect(self._on_status)
        return self._bridge

    def _show_prejoin(self, session: Session) -> None:
        bridge = self._adopt(session)
        bridge.preview_frame.connect(self.prejoin.preview.set_frame)
        bridge.mic_level.connect(self.prejoin.set_level)
        bridge.audio_processing.connect(self.prejoin.processing.set_settings)
        devices = {kind: self.settings.device(kind) for kind in DeviceKind}
        self.set_audio_processing(self.settings.audio_processing)
        self.pages.setCurrentWidget(self.prejoin)
        self.prejoin.bind(
            session, self.settings.display_name or default_name(), devices,
            self.settings.join_with("mic"), self.settings.join_with("camera"),
        )
        self.prejoin.processing.set_settings(self.settings.audio_processing)
        self.setWindowTitle(f"{session.room_name} – lkdesk")

    def _preview_changed(self, camera: bool, microphone: bool) -> None:
        if self.session is not None and self.pages.currentWidget() is self.prejoin:
            self.runner.run(self.session.start_preview(camera=camera, microphone=microphone),
                            "start the preview", on_error=self.prejoin.show_error)

    def _test_speaker(self) -> None:
        session = self.session
        if session is None:
            return

        async def test() -> None:
            self.prejoin.test_button.setText("Playing…")
            self.prejoin.test_button.setEnabled(False)
            try:
                await session.test_speaker()
            finally:
                self.prejoin.test_button.setText("Test")
                self.prejoin.test_button.setEnabled(True)

        self.runner.run(test(), "play the test sound", on_error=self.prejoin.show_error)

    def _device_changed(self, kind: DeviceKind, device_id: str) -> None:
        self.settings.set_device(kind, device_id)
        if self.session is not None:
            self.runner.run(self.session.select_device(kind, device_id), "switch the device",
                            on_error=self.prejoin.show_error)

    def set_audio_processing(self, settings: AudioProcessingSettings) -> None:
        """Remember the microphone processing switches and apply them to the session."""
        self.settings.audio_processing = settings
        if self.session is not None:
            self.runner.run(self.session.set_audio_processing(settings),
                            "change the sound processing", on_error=self._show_failure)

    # ----- the call -------------------------------------------------------------------------

    def join(self, options: JoinOptions) -> None:
        if self.session is None or self._joining:
            return
        if self.session.name_editable and options.display_name:
            self.settings.display_name = options.display_name
        self.settings.set_join_with("mic", options.mic_on)
        self.settings.set_join_with("camera", options.camera_on)
        self._options = options
        self.runner.run(self._join(self.session, options), "join the call",
                        on_error=self._join_failed)

    async def _join(self, session: Session, options: JoinOptions) -> None:
        assert self._bridge is not None
        self._joining = True
        self.prejoin.set_busy(True)
        try:
            await session.stop_preview()
            self.room.bind(session, self._bridge)
            self.pages.setCurrentWidget(self.room)
            self.shortcuts.set_room_active(True)
            await session.join(options)
        finally:
            self._joining = False
            self.prejoin.set_busy(False)

    def _join_failed(self, message: str) -> None:
        self.shortcuts.set_room_active(False)
        self.room.unbind()
        if self.session is None:
            self.back_to_start()
            return
        self.pages.setCurrentWidget(self.prejoin)
        self.prejoin.show_error(message)
        self._preview_changed(self.prejoin.camera_on, self.prejoin.mic_on)

    def _on_status(self, status: Status) -> None:
        if status.state is SessionState.ENDED and not self._joining:
            self._ended(status)

    def _ended(self, status: Status) -> None:
        session = self.session
        room_name = session.room_name if session else ""
        self.shortcuts.set_room_active(False)
        self.room.unbind()
        self.help.close_overlay()
        if self.isFullScreen():
            self.showNormal()
        self.ended.show_status(status, room_name)
        self.pages.setCurrentWidget(self.ended)
        self.setWindowTitle("lkdesk")
        self.runner.run(self._release(), "close the call")

    def leave(self) -> None:
        if self.session is not None:
            self.runner.run(self.session.leave(), "leave the call")

    def rejoin(self) -> None:
        if self._target is None:
            self.back_to_start()
            return
        options = self._options

        async def again() -> None:
            assert self._target is not None
            await self._release()
            session = await self.factory.open(self._target)
            await session.refresh_devices()
            self._show_prejoin(session)
            if options is not None:
                self.join(options)

        self.runner.run(again(), "rejoin", on_error=self._show_failure)

    def back_to_start(self) -> None:
        self.shortcuts.set_room_active(False)
        self.room.unbind()
        self.pages.setCurrentWidget(self.start)
        self.setWindowTitle("lkdesk")
        self.runner.run(self._release(), "close the call")

    async def _release(self) -> None:
        """Let go of the current session: detach the bridge, close the session."""
        session, bridge = self.session, self._bridge
        self.session, self._bridge = None, None
        if bridge is not None:
            bridge.detach()
            bridge.deleteLater()
        if session is not None:
            await session.aclose()

    # ----- shortcuts, settings, messages -------------------------------------------------------

    def _shortcut(self, action: Action) -> None:
        in_room = self.pages.currentWidget() is self.room and self.session is not None
        if action is Action.HELP:
            if self.help.isVisible():
                self.help.close_overlay()
            else:
                self.help.open_overlay()
        elif action is Action.FULLSCREEN:
            self.showNormal() if self.isFullScreen() else self.showFullScreen()
        elif not in_room:
            return
        elif action is Action.TOGGLE_MIC:
            self.room.toggle_mic()
        elif action is Action.TOGGLE_CAMERA:
            self.room.toggle_camera()
        elif action is Action.TOGGLE_SCREEN:
            self.room.toggle_screen()
        elif action is Action.TOGGLE_CHAT:
            self.room.toggle_panel("chat")
        elif action is Action.TOGGLE_PEOPLE:
            self.room.toggle_panel("people")
        elif action is Action.TOGGLE_CAPTIONS:
            self.room.extras.toggle_captions()
        elif action is Action.CONNECTION_DETAILS:
            self.room.extras.toggle_details()
        elif action is Action.LEAVE:
            self.leave()

    def open_settings(self) -> None:
        devices = {k: self.session.devices(k) for k in DeviceKind} if self.session else {}
        dialog = SettingsDialog(self, self.settings, self.shortcuts, devices)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._settings_applied(dialog))
        self._settings_dialog = dialog
        dialog.open()

    def _settings_applied(self, dialog: SettingsDialog) -> None:
        if self._theme is not None:
            self._theme.apply(dialog.theme_mode())
        session = self.session
        if session is not None:
            for kind, device_id in dialog.devices().items():
                self.runner.run(session.select_device(kind, device_id), "switch the device")

    def _show_failure(self, message: str) -> None:
        if self.pages.currentWidget() is self.room:
            self.room.toasts.show_toast(message, NoticeLevel.ERROR)
        elif self.pages.currentWidget() is self.prejoin:
            self.prejoin.show_error(message)
        else:
            self.start.show_error("form", message)
            self.pages.setCurrentWidget(self.start)

    # ----- lifetime ------------------------------------------------------------------------------

    def current_page(self) -> QWidget | None:
        return self.pages.currentWidget()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.geometry = self.saveGeometry()
        self.settings.sync()
        self.shortcuts.set_room_active(False)
        event.accept()
        self.closed.emit()

    async def aclose(self) -> None:
        """Stop every task and close the session (call after the window closed)."""
        self.shortcuts.set_room_active(False)
        self.room.unbind()
        await self.runner.aclose()
        await self._release()

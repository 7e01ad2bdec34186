"""``MainWindow``: start → pre-join → room → ended, one session at a time.

Every async step runs through the :class:`ActionRunner` (owned tasks, errors as messages);
nothing here blocks the loop or opens a nested event loop.
"""

from __future__ import annotations

import getpass
import logging

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

from lkdesk.session import (
    AudioProcessingSettings,
    DemoTarget,
    DeviceKind,
    InvalidTargetError,
    JoinOptions,
    JoinTarget,
    NoticeLevel,
    Session,
    SessionFactory,
    SessionState,
    Status,
)
from lkdesk.ui.actions import ActionRunner
from lkdesk.ui.bridge import SessionBridge
from lkdesk.ui.desktop import DesktopIntegration
from lkdesk.ui.encryption_controls import PassphraseKeeper
from lkdesk.ui.ended_page import EndedPage
from lkdesk.ui.overlays import HelpOverlay
from lkdesk.ui.prejoin_page import PreJoinPage
from lkdesk.ui.room_page import RoomPage
from lkdesk.ui.settings import AppSettings
from lkdesk.ui.share_picker import SharePicker
from lkdesk.ui.shortcuts import Action, Shortcuts
from lkdesk.ui.start_flow import StartFlow
from lkdesk.ui.start_page import JoinRequest, StartPage
from lkdesk.ui.theme import ThemeController
from lkdesk.ui.window_dialogs import WindowDialogs
from lkdesk.ui.window_geometry import MINIMUM, place, remember

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
        self,
        factory: SessionFactory,
        settings: AppSettings,
        theme: ThemeController | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("lkdesk")
        self.setMinimumSize(MINIMUM)
        self.factory = factory
        self.settings = settings
        self.theme_controller = theme
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
        self.start_flow = StartFlow(self.start, factory, settings, self.runner)
        self.passphrases = PassphraseKeeper(factory.book)
        self.pages = QStackedWidget()
        for page in (self.start, self.prejoin, self.room, self.ended):
            self.pages.addWidget(page)
        self.setCentralWidget(self.pages)
        self.help = HelpOverlay(self, self.shortcuts)
        self.dialogs = WindowDialogs(self)
        self.desktop = DesktopIntegration(self)  # tray, mini window, notifications, history
        self._wire()
        place(self, settings)
        self.apply_settings()
        self.shortcuts.set_room_active(False)
        if factory.book is not None:
            self.refresh_profiles()

    def _wire(self) -> None:
        self.start.join_requested.connect(self.open_target)
        self.start.link_entered.connect(self.open_link)
        self.start.settings_requested.connect(self.open_settings)
        self.prejoin.join_clicked.connect(self.join)
        self.prejoin.processing.changed.connect(self.set_audio_processing)
        self.prejoin.back_clicked.connect(self.back_to_start)
        self.prejoin.preview_changed.connect(self._preview_changed)
        self.prejoin.test_speaker_clicked.connect(self._test_speaker)
        self.prejoin.device_changed.connect(self._device_changed)
        self.room.leave_requested.connect(self.leave)
        self.room.settings_requested.connect(self.open_settings)
        self.room.share_requested.connect(self.open_share_picker)
        self.ended.home_clicked.connect(self.back_to_start)
        self.ended.rejoin_clicked.connect(self.rejoin)
        self.shortcuts.triggered.connect(self._shortcut)
        self.shortcuts.talk.connect(self.room.push_to_talk)

    # ----- start page ------------------------------------------------------------------------

    def refresh_profiles(self) -> None:
        self.start_flow.refresh()

    def open_target(self, request: JoinRequest) -> None:
        self.start.clear_errors()
        self.start.set_busy(True)
        self.runner.run(self._open(request), "open the connection", on_error=self._start_error)

    def open_link(self, text: str) -> None:
        """Open a meeting link (lkdesk://join?… or a LiveKit Meet link) ready to join."""
        self.start.clear_errors()
        if self.session is not None:
            self.back_to_start()

        async def open_link() -> None:
            request = await self.start_flow.request_for_link(text)
            if request is not None:
                await self._open(request)

        self.runner.run(open_link(), "open the meeting link", on_error=self._start_error)

    async def _open(self, request: JoinRequest) -> None:
        target = request.target
        if isinstance(target, DemoTarget) and not target.display_name:
            target = DemoTarget(self.settings.display_name)
        try:
            self.start.set_busy(True)
            session = await self.factory.open(target)  # checks the input, no network yet
        except InvalidTargetError as exc:
            self.start.show_error(self.start_flow.error_field(target, exc), str(exc))
            return
        finally:
            self.start.set_busy(False)
        try:
            saved = await self.start_flow.check_and_save(request)
        except BaseException:
            await session.aclose()
            raise
        if not saved:
            await session.aclose()
            return
        self._target = target
        await session.refresh_devices()
        await session.set_camera_height(self.settings.camera_height)
        self._show_prejoin(session)
        profile_id = self.start_flow.profile_id_for(request)
        await self.passphrases.offer(self.prejoin.encryption, profile_id, request.passphrase)

    def _start_error(self, message: str) -> None:
        self.start.set_busy(False)
        self.start.show_error("form", message)

    # ----- pre-join --------------------------------------------------------------------------

    def _adopt(self, session: Session) -> SessionBridge:
        self.session = session
        self._bridge = SessionBridge(session, self)
        self._bridge.status.connect(self._on_status)
        self.desktop.adopt(session, self._bridge)
        return self._bridge

    def _show_prejoin(self, session: Session) -> None:
        bridge = self._adopt(session)
        bridge.preview_frame.connect(self.prejoin.preview.set_frame)
        bridge.mic_level.connect(self.prejoin.set_level)
        bridge.audio_processing.connect(self.prejoin.processing.set_settings)
        self.set_audio_processing(self.settings.audio_processing)
        self.prejoin.preview.mirrored = self.settings.mirror_video
        devices = {kind: self.settings.device(kind) for kind in DeviceKind}
        self.pages.setCurrentWidget(self.prejoin)
        self.prejoin.bind(
            session,
            self.settings.display_name or default_name(),
            devices,
            self.settings.join_with("mic"),
            self.settings.join_with("camera"),
        )
        self.prejoin.processing.set_settings(self.settings.audio_processing)
        self.setWindowTitle(f"{session.room_name} – lkdesk")

    def set_audio_processing(self, settings: AudioProcessingSettings) -> None:
        """Remember the microphone processing switches and apply them to the session."""
        self.settings.audio_processing = settings
        if self.session is not None:
            self.runner.run(
                self.session.set_audio_processing(settings),
                "change the sound processing",
                on_error=self._show_failure,
            )

    def _preview_changed(self, camera: bool, microphone: bool) -> None:
        if self.session is not None and self.pages.currentWidget() is self.prejoin:
            self.runner.run(
                self.session.start_preview(camera=camera, microphone=microphone),
                "start the preview",
                on_error=self.prejoin.show_error,
            )

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
            self.runner.run(
                self.session.select_device(kind, device_id),
                "switch the device",
                on_error=self.prejoin.show_error,
            )

    # ----- the call -------------------------------------------------------------------------

    def join(self, options: JoinOptions) -> None:
        if self.session is None or self._joining:
            return
        if self.session.name_editable and options.display_name:
            self.settings.display_name = options.display_name
        self.settings.set_join_with("mic", options.mic_on)
        self.settings.set_join_with("camera", options.camera_on)
        self._options = options
        self.runner.run(
            self._join(self.session, options), "join the call", on_error=self._join_failed
        )

    async def _join(self, session: Session, options: JoinOptions) -> None:
        assert self._bridge is not None
        self._joining = True
        self.prejoin.set_busy(True)
        try:
            await session.stop_preview()
            self.room.bind(session, self._bridge)
            self.pages.setCurrentWidget(self.room)
            self.shortcuts.set_room_active(True)
            await self.passphrases.keep(self.prejoin.encryption)
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
        await self.desktop.release()
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

    def open_share_picker(self) -> None:
        self.dialogs.open_share_picker()

    @property
    def share_picker(self) -> SharePicker | None:
        return self.dialogs.share_picker

    def open_settings(self) -> None:
        self.dialogs.open_settings()

    def apply_settings(self) -> None:
        """Push settings that live outside the dialog into the factory and the room."""
        self.factory.join_timeout_s = float(self.settings.join_timeout_s)
        self.factory.media_timeout_s = float(self.settings.media_timeout_s)
        self.room.apply_settings()

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

    def is_busy(self) -> bool:
        """True while an action (opening, joining, leaving) is still running."""
        return len(self.runner) > 0

    def describe(self) -> dict[str, str]:
        """Where the window is, for the packaging smoke check."""
        names = {
            self.start: "start",
            self.prejoin: "prejoin",
            self.room: "room",
            self.ended: "ended",
        }
        page = self.pages.currentWidget()
        session = self.session
        return {
            "page": names.get(page, "") if page is not None else "",
            "room": session.room_name if session else "",
            "server": session.server_label if session else "",
            "error": self.start.visible_error() if page is self.start else "",
        }

    def closeEvent(self, event: QCloseEvent) -> None:
        remember(self, self.settings)
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
        await self.desktop.aclose()

"""``DesktopIntegration``: what lkdesk does with the desktop around the window.

A call outlives a closed window (the tray keeps it; quitting during a call asks first), a
small always-on-top window shows the active speaker while lkdesk is in the background,
chat messages missed while unfocused become desktop notifications, the chat is kept in the
local history, and tiles pop out into windows of their own. The main window hands this
object each session it adopts and releases; everything else happens here, by watching the
window (an event filter) and the session bridge, so the window itself stays small.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication, QWindow
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox

from lkdesk.session import (
    ChatEntry,
    LocalMedia,
    ParticipantState,
    Session,
    SessionState,
    Status,
    TileKey,
)
from lkdesk.session.errors import NotAvailableError
from lkdesk.session.global_keys import PUSH_TO_TALK, TOGGLE_MIC, GlobalShortcuts
from lkdesk.session.history import ChatHistory, HistoryRecorder
from lkdesk.session.notify import DesktopNotifier, chat_notification
from lkdesk.ui.bridge import SessionBridge
from lkdesk.ui.history_view import HistoryView
from lkdesk.ui.mini_window import MiniWindow
from lkdesk.ui.painting import Frame
from lkdesk.ui.popout import PopOuts
from lkdesk.ui.settings_pages.global_keys import global_keys
from lkdesk.ui.tray import CallTray

if TYPE_CHECKING:
    from lkdesk.ui.admin_console import AdminConsole
    from lkdesk.ui.main_window import MainWindow

logger = logging.getLogger(__name__)

IN_CALL = (SessionState.CONNECTED, SessionState.RECONNECTING)


class DesktopIntegration(QObject):
    """Tray, close and quit, mini window, notifications, history, pop-outs."""

    def __init__(self, window: MainWindow, history: ChatHistory | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.tray = CallTray(window)
        self.mini = MiniWindow()
        self.popouts = PopOuts(window.room.area, self)
        self.notifier = DesktopNotifier()
        self.history = history or ChatHistory()
        self.recorder: HistoryRecorder | None = None
        self.global_keys: GlobalShortcuts | None = None
        self.console: AdminConsole | None = None
        self.history_view = HistoryView(window.runner.run)
        window.room.chat.attach_history(self.history_view)
        self.session: Session | None = None
        self.quitting = False
        self.ask_box: QMessageBox | None = None
        self.leave_button: QAbstractButton | None = None
        self._speaker = ""
        self._told_about_tray = False
        self._wire()
        window.installEventFilter(self)
        app = QApplication.instance()
        if isinstance(app, QGuiApplication):
            app.focusWindowChanged.connect(self._focus_changed)

    def _wire(self) -> None:
        w, tray, mini = self.window, self.tray, self.mini
        tray.show_requested.connect(self.show_window)
        tray.mic_requested.connect(w.room.toggle_mic)
        tray.camera_requested.connect(w.room.toggle_camera)
        tray.leave_requested.connect(w.leave)
        tray.quit_requested.connect(self.quit)
        mini.restore_requested.connect(self.show_window)
        mini.mic_clicked.connect(w.room.toggle_mic)
        mini.camera_clicked.connect(w.room.toggle_camera)
        mini.leave_clicked.connect(w.leave)
        w.prejoin.check_network_clicked.connect(self.check_network)
        w.start.console_requested.connect(self.open_console)

    # ----- sessions ------------------------------------------------------------------------

    @property
    def in_call(self) -> bool:
        return self.session is not None and self.session.status.state in IN_CALL

    def adopt(self, session: Session, bridge: SessionBridge) -> None:
        """A new session: follow its call, keep its chat (unless history is off)."""
        self.session = session
        self._speaker = ""
        bridge.status.connect(self._on_status)
        bridge.local_media.connect(self._on_media)
        bridge.participant_joined.connect(self._on_person)
        bridge.participant_updated.connect(self._on_person)
        bridge.participant_left.connect(lambda state, _reason: self._on_left(state))
        bridge.video_frame.connect(self._on_frame)
        bridge.chat_message.connect(self._on_chat)
        self.popouts.bind(bridge)
        if self.window.settings.flag("history"):
            self.recorder = HistoryRecorder(self.history, session)
        self.history_view.bind(self.history, session)

    async def release(self) -> None:
        """The session goes: write its history, close what belonged to the call."""
        self.session = None
        self.tray.set_call(None)
        self.mini.hide()
        self.mini.show_participant(None)
        self.popouts.close_all()
        self.history_view.unbind()
        self.window.room.chat.show_history(False)
        await self._stop_keys()
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            await recorder.aclose()

    async def aclose(self) -> None:
        await self.release()
        await self.notifier.aclose()
        self.tray.hide()
        if self.console is not None:
            await self.console.aclose()
            self.console.close()
        self.mini.close()
        self.mini.deleteLater()

    def _on_status(self, status: Status) -> None:
        session = self.session
        if session is not None and status.state in IN_CALL:
            self.tray.set_call(session.local_media, session.room_name)
            if self.global_keys is None and self.window.settings.flag("global_shortcuts"):
                self.global_keys = GlobalShortcuts(global_keys(self.window.settings), self._key)
                self.window.runner.run(self._start_keys(self.global_keys), "watch global keys")
        else:
            self.tray.set_call(None)
            self.mini.hide()
            self.window.runner.run(self._stop_keys(), "stop the global keys")

    async def _start_keys(self, keys: GlobalShortcuts) -> None:
        try:
            await keys.start()
        except NotAvailableError as exc:  # Settings → Shortcuts says why, in these words
            logger.info("no global shortcuts: %s", exc)
            if self.global_keys is keys:
                self.global_keys = None

    async def _stop_keys(self) -> None:
        keys, self.global_keys = self.global_keys, None
        if keys is not None:
            await keys.aclose()

    def _key(self, name: str, pressed: bool) -> None:
        """A global shortcut, pressed or released in any application."""
        if not self.in_call:
            return
        if name == PUSH_TO_TALK:
            self.window.room.push_to_talk(pressed)
        elif name == TOGGLE_MIC and pressed:
            self.window.room.toggle_mic()

    def _on_media(self, media: LocalMedia) -> None:
        self.mini.set_media(media)
        if self.in_call and self.session is not None:
            self.tray.set_call(media, self.session.room_name)

    def _on_person(self, state: ParticipantState) -> None:
        if state.is_local:
            return
        if state.speaking or not self._speaker:
            self._speaker = state.identity
        if state.identity == self._speaker:
            self.mini.show_participant(state)

    def _on_left(self, state: ParticipantState) -> None:
        if state.identity != self._speaker or self.session is None:
            return
        others = [p for p in self.session.participants if not p.is_local]
        self._speaker = others[0].identity if others else ""
        self.mini.show_participant(others[0] if others else None)

    def _on_frame(self, key: TileKey, frame: Frame) -> None:
        self.mini.set_frame(key, frame)

    # ----- background: mini window, notifications ------------------------------------------------

    def in_background(self) -> bool:
        w = self.window
        return not w.isVisible() or w.isMinimized() or not w.isActiveWindow()

    def _ours(self, window: QWindow | None) -> bool:
        """Whether ``window`` is the main window, one of its dialogs, the mini window, a
        pop-out or the admin console: lkdesk still has the user's attention then."""
        mine = [self.window, self.mini, *self.popouts.windows.values()]
        if self.console is not None:
            mine.append(self.console)
        handles = {w.windowHandle() for w in mine}
        while window is not None:
            if window in handles:
                return True
            window = window.transientParent()
        return False

    def _focus_changed(self, focused: QWindow | None) -> None:
        if not self._ours(focused):
            self.update_mini()
        elif focused is self.window.windowHandle():
            self.mini.hide()

    def update_mini(self) -> None:
        """Show the mini window while in a call and in the background (if switched on)."""
        wanted = self.in_call and self.in_background() and self.window.settings.flag("mini_window")
        if wanted and not self.mini.isVisible():
            session = self.session
            if session is not None and not self._speaker:
                first = next((p for p in session.participants if not p.is_local), None)
                if first is not None:
                    self._on_person(first)
            self.mini.set_media(session.local_media if session else LocalMedia())
            self.mini.appear()
        elif not wanted:
            self.mini.hide()

    def _on_chat(self, entry: ChatEntry) -> None:
        settings, session = self.window.settings, self.session
        if session is None or not self.in_background():
            return
        if not settings.flag("desktop_notifications") or settings.flag("do_not_disturb"):
            return
        names = (session.local_name, session.local_identity)
        note = chat_notification(
            entry, session.room_name, names, mentions_only=settings.flag("mentions_only")
        )
        if note is None:
            return

        async def send() -> None:
            assert note is not None
            if not await self.notifier.notify(note, group=session.room_name):
                self.tray.message(note.summary, note.body)

        self.window.runner.run(send(), "show a notification")

    def open_console(self) -> AdminConsole | None:
        """The rooms on every saved server (one window; raised when already open)."""
        book = self.window.factory.book
        if book is None:
            return None
        if self.console is None:
            from lkdesk.ui.admin_console import AdminConsole  # RoomService's client loads here

            console = AdminConsole(book, self.window.runner)
            console.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            console.destroyed.connect(lambda: setattr(self, "console", None))
            self.console = console
            console.start()
        self.console.show()
        self.console.raise_()
        return self.console

    def check_network(self) -> None:
        """The pre-join screen's "Check network": the server about to be joined."""
        session = self.session
        if session is not None:
            self.window.dialogs.check_network(session.check_network, session.server_label)

    # ----- closing and quitting -------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window:
            if event.type() == QEvent.Type.Close and isinstance(event, QCloseEvent):
                return self._closing(event)
            if event.type() == QEvent.Type.WindowStateChange:
                self.update_mini()
        return False

    def _closing(self, event: QCloseEvent) -> bool:
        """True (and the close ignored) when the call goes on or the user is asked first."""
        if self.quitting or not self.in_call:
            return False
        event.ignore()
        if self.tray.available and self.window.settings.flag("keep_in_tray"):
            self.window.hide()
            if not self._told_about_tray:
                self._told_about_tray = True
                self.tray.message(
                    "lkdesk is still in the call",
                    "Use the tray icon to show the window, mute, leave or quit.",
                )
            self.update_mini()
        else:
            self._ask("Leave the call and close lkdesk?")
        return True

    def quit(self) -> None:
        """Quit lkdesk (the tray's Quit): during a call only after asking."""
        if self.in_call:
            self.show_window()
            self._ask("Leave the call and quit lkdesk?")
        else:
            self.really_quit()

    def _ask(self, question: str) -> None:
        if self.ask_box is not None:
            self.ask_box.raise_()
            return
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("lkdesk")
        box.setText(question)
        box.setInformativeText("The others stay in the room.")
        self.leave_button = box.addButton("Leave and quit", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: self._answered(box))
        self.ask_box = box
        box.open()

    def _answered(self, box: QMessageBox) -> None:
        self.ask_box = None
        if box.clickedButton() is self.leave_button:
            self.really_quit()

    def really_quit(self) -> None:
        """Close the window for good; the app then leaves the call and exits."""
        self.quitting = True
        self.mini.hide()
        if not self.window.isVisible():
            self.window.show()  # a hidden window gets no close event
        self.window.close()

    def show_window(self) -> None:
        w = self.window
        w.showNormal() if w.isMinimized() or not w.isVisible() else w.show()
        w.raise_()
        w.activateWindow()
        self.mini.hide()

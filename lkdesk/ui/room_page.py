"""``RoomPage``: the call: video area, side panels, control bar, banner and toasts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget

from lkdesk.session import (
    AudioProcessingSettings,
    Capabilities,
    ChatEntry,
    DeviceKind,
    FileTransfer,
    LocalMedia,
    Notice,
    NoticeLevel,
    ParticipantState,
    Session,
    Status,
    TileKey,
    VideoKind,
)
from lkdesk.ui.actions import ActionRunner
from lkdesk.ui.audio_hints import ECHO_OFF_TEXT, MUTED_TEXT, HintPill
from lkdesk.ui.bridge import SessionBridge
from lkdesk.ui.call_extras import CallExtras
from lkdesk.ui.call_status import CallStatus
from lkdesk.ui.chat_panel import ChatPanel
from lkdesk.ui.control_bar import ControlBar
from lkdesk.ui.overlays import Banner
from lkdesk.ui.participants_panel import ParticipantsPanel
from lkdesk.ui.settings import AppSettings
from lkdesk.ui.shortcuts import Shortcuts
from lkdesk.ui.toasts import Toasts
from lkdesk.ui.video_area import VideoArea, ViewMode

PANEL_WIDTH = 340
MIN_GRID_WIDTH = 720  # below this beside an open panel, the panel overlays the grid


class RoomPage(QWidget):
    """Renders one session; every user intent becomes a session call run by the runner."""

    leave_requested = Signal()
    settings_requested = Signal()
    share_requested = Signal()  # the user wants to pick something to share

    def __init__(
        self,
        shortcuts: Shortcuts,
        runner: ActionRunner,
        settings: AppSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("RoomPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self._runner = runner
        self._settings = settings
        self.session: Session | None = None
        self._bridge: SessionBridge | None = None
        self._announce = False
        self._ptt_active = False
        self.unread = 0
        self.area = VideoArea()
        self.toasts = Toasts(self.area, self._toast_obstacles)
        self.area.laid_out.connect(self.toasts.place)
        self.banner = Banner(self.area)
        self.muted_hint = HintPill(self.area, MUTED_TEXT, "MutedHint", row=1)
        self.echo_hint = HintPill(self.area, ECHO_OFF_TEXT, "EchoOffHint")
        self.chat = ChatPanel()
        self.people = ParticipantsPanel()
        self.side = QFrame()
        self.side.setObjectName("SidePanel")
        self.side.setFixedWidth(PANEL_WIDTH)
        self._stack = QStackedWidget(self.side)
        self._stack.addWidget(self.chat)
        self._stack.addWidget(self.people)
        side_layout = QVBoxLayout(self.side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self._stack)
        self.side.hide()
        self.controls = ControlBar(shortcuts)
        self.extras = CallExtras(self.area, self.chat)  # captions, transcript, details
        self._top = QHBoxLayout()
        self._top.setContentsMargins(0, 0, 0, 0)
        self._top.setSpacing(0)
        self._top.addWidget(self.area, 1)
        self._top.addWidget(self.side)
        self.panel_overlays = False
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(self._top, 1)
        column.addWidget(self.controls)
        self.status = CallStatus(self.controls.clock, self.banner, self)
        self._wire_controls()

    def _wire_controls(self) -> None:
        c = self.controls
        c.mic_clicked.connect(self.toggle_mic)
        c.camera_clicked.connect(self.toggle_camera)
        c.screen_clicked.connect(self.toggle_screen)
        c.chat_clicked.connect(lambda: self.toggle_panel("chat"))
        c.people_clicked.connect(lambda: self.toggle_panel("people"))
        c.view_clicked.connect(self.toggle_view)
        c.captions_clicked.connect(self.extras.toggle_captions)
        self.extras.captions_changed.connect(c.set_captions)
        c.settings_clicked.connect(self.settings_requested.emit)
        c.leave_clicked.connect(self.leave_requested.emit)
        c.device_chosen.connect(self.choose_device)
        self.area.mode_changed.connect(c.set_view)
        self.chat.close_clicked.connect(lambda: self.show_panel(None))
        self.people.close_clicked.connect(lambda: self.show_panel(None))
        self.chat.send_text.connect(lambda text: self._do(self._s().send_chat(text), "send"))
        self.chat.send_file.connect(
            lambda path: self._do(self._s().send_file(path), "send the file")
        )
        self.chat.save_file.connect(self._save_file)
        self.chat.retry_message.connect(
            lambda message_id: self._do(self._s().retry_chat(message_id), "send")
        )
        p = self.people
        p.mute.connect(lambda who: self._do(self._s().mute_participant(who), "mute"))
        p.remove.connect(lambda who: self._do(self._s().remove_participant(who), "remove"))
        p.set_can_publish.connect(
            lambda who, ok: self._do(self._s().set_participant_can_publish(who, ok), "do that")
        )
        p.rename.connect(lambda who, n: self._do(self._s().rename_participant(who, n), "rename"))
        p.set_metadata.connect(
            lambda who, m: self._do(self._s().set_participant_metadata(who, m), "save the metadata")
        )
        p.move_to_room.connect(lambda who, r: self._do(self._s().move_participant(who, r), "move"))
        p.dial_phone.connect(
            lambda number, trunk: self._do(self._s().dial_phone(number, trunk), "call the phone")
        )

    # ----- binding -------------------------------------------------------------------------

    def bind(self, session: Session, bridge: SessionBridge) -> None:
        self.unbind()
        self.session, self._bridge = session, bridge
        self._announce = False
        self.unread = 0
        self.controls.set_unread(0)
        self.controls.title.setText(session.room_name)
        b = bridge
        b.status.connect(self._on_status)
        b.participant_joined.connect(self._on_joined)
        b.participant_updated.connect(self._on_updated)
        b.participant_left.connect(self._on_left)
        b.video_frame.connect(self._on_frame)
        b.video_ended.connect(self._on_video_ended)
        b.local_media.connect(self.controls.set_media)
        b.chat_message.connect(self._on_chat)
        b.chat_updated.connect(self.chat.update_message)
        b.transfer.connect(self._on_transfer)
        b.notice.connect(self._on_notice)
        b.capabilities.connect(self._on_capabilities)
        b.talking_while_muted.connect(self.muted_hint.set_shown)
        b.audio_processing.connect(self._on_processing)
        b.room_name.connect(self.controls.title.setText)
        self.extras.bind(session, bridge)
        self.area.sizes.bind(session)
        self._on_capabilities(session.capabilities)
        self._on_processing(session.audio_processing)
        self.controls.set_media(session.local_media)
        for state in session.participants:
            self._on_joined(state)
        for message in session.chat_history:
            self.chat.add_message(message)
        self._refresh_devices()
        self._on_status(session.status)

    def unbind(self) -> None:
        """Forget the session: tiles, rows, toasts and the clock go."""
        self.status.stop()
        self.toasts.clear()
        self.banner.hide()
        self.muted_hint.hide()
        self.echo_hint.hide()
        self.extras.unbind()
        for key in list(self.area.tiles):
            self.area.remove_tile(key)
        for identity in list(self.people.rows):
            self.people.remove_participant(identity)
        self.area.set_pinned(None)
        self.area.sizes.bind(None)
        self.session, self._bridge = None, None
        self._ptt_active = False

    def _s(self) -> Session:
        if self.session is None:
            raise RuntimeError("the room page has no session")
        return self.session

    def _do(self, coro: object, what: str) -> None:
        self._runner.run(coro, what, on_error=self._error)  # type: ignore[arg-type]

    def _error(self, message: str) -> None:
        self.toasts.show_toast(message, NoticeLevel.ERROR)

    # ----- session events ----------------------------------------------------------------------

    def _on_status(self, status: Status) -> None:
        s = self.session
        room, server = (s.room_name, s.server_label) if s is not None else ("", "")
        self.controls.lock.show_note(s.encryption_note if s is not None else "")
        if self.status.show(status, room, server):
            self._announce = True

    def apply_settings(self) -> None:
        """Mirror my camera or not; which events toast (Settings)."""
        self.area.mirror_local = self._settings.mirror_video
        self.area.relayout()

    def _on_joined(self, state: ParticipantState) -> None:
        self.area.add_tile(TileKey(state.identity), state)
        self.people.upsert(state)
        self._count()
        if self._announce and not state.is_local and self._settings.notify("join_leave"):
            self.toasts.show_toast(f"{state.display_name} joined")

    def _on_updated(self, state: ParticipantState) -> None:
        for kind in VideoKind:
            tile = self.area.tiles.get(TileKey(state.identity, kind))
            if tile is not None:
                tile.set_state(state)
        if not state.screen_on:
            self.area.remove_tile(TileKey(state.identity, VideoKind.SCREEN))
        self.people.upsert(state)
        if state.speaking and not state.is_local:
            self.area.set_speaker(state.identity)

    def _on_left(self, state: ParticipantState, reason: str) -> None:
        for kind in VideoKind:
            self.area.remove_tile(TileKey(state.identity, kind))
            self.extras.tile_gone(TileKey(state.identity, kind))
        self.people.remove_participant(state.identity)
        self._count()
        quiet = not self._settings.notify("join_leave")
        if self._announce and not state.is_local and reason != "ended" and not quiet:
            words = {"left": "left", "removed": "was removed"}.get(reason, reason)
            self.toasts.show_toast(f"{state.display_name} {words}")

    def _on_frame(self, key: TileKey, frame: object) -> None:
        tile = self.area.tiles.get(key)
        if tile is None and key.kind is VideoKind.SCREEN and self.session is not None:
            state = self.session.participant(key.identity)
            if state is None or not state.screen_on:
                return
            tile = self.area.add_tile(key, state)
        if tile is not None:
            tile.set_frame(frame)  # type: ignore[arg-type]

    def _on_video_ended(self, key: TileKey) -> None:
        tile = self.area.tiles.get(key)
        if tile is None:
            return
        if key.kind is VideoKind.SCREEN:
            self.area.remove_tile(key)
        else:
            tile.clear_frame()

    def _on_chat(self, message: ChatEntry) -> None:
        self.chat.add_message(message)
        if message.is_local:
            return
        if not (self.side.isVisible() and self._stack.currentWidget() is self.chat):
            self.unread += 1
            self.controls.set_unread(self.unread)
            text = message.text or (message.attachment.file_name if message.attachment else "")
            if self._settings.notify("chat"):
                self.toasts.show_toast(f"{message.sender_name}: {text}")

    def _on_transfer(self, transfer: FileTransfer) -> None:
        self.chat.update_transfer(transfer)

    def _on_notice(self, notice: Notice) -> None:
        self.toasts.show_toast(notice.text, notice.level)

    def _on_capabilities(self, caps: Capabilities) -> None:
        self.controls.set_capabilities(caps)
        self.chat.set_features(caps.chat, caps.files)
        self.people.set_admin(caps.admin, caps.move_participants)

    def _on_processing(self, settings: AudioProcessingSettings) -> None:
        self.echo_hint.set_shown(not settings.echo_cancellation)

    def _count(self) -> None:
        self.controls.set_people_count(len(self.people.rows))

    def _refresh_devices(self) -> None:
        s = self._s()
        st = self._settings
        speakers = s.devices(DeviceKind.SPEAKER)
        for kind in (DeviceKind.MICROPHONE, DeviceKind.CAMERA):
            self.controls.set_devices(
                kind, s.devices(kind), st.device(kind), speakers, st.device(DeviceKind.SPEAKER)
            )

    # ----- intents -----------------------------------------------------------------------------

    def toggle_mic(self) -> None:
        if self.session is not None:
            on = not self.session.local_media.mic_on
            self._do(self.session.set_microphone(on), "change the microphone")

    def toggle_camera(self) -> None:
        if self.session is not None:
            on = not self.session.local_media.camera_on
            self._do(self.session.set_camera(on), "change the camera")

    def toggle_screen(self) -> None:
        """Stop sharing, or ask for a picker to choose what to share."""
        if self.session is None:
            return
        sharing = self.session.local_media.screen_on
        self.controls.share.setChecked(sharing)
        if sharing:
            self._do(self.session.set_screen_share(False), "stop sharing")
        elif not self.session.capabilities.screen_share.available:
            self._error(self.session.capabilities.screen_share.reason)
        else:
            self.share_requested.emit()

    def share(self, source_id: str, with_audio: bool) -> None:
        if self.session is not None:
            self._do(self.session.set_screen_share(True, source_id, with_audio), "share the screen")

    def push_to_talk(self, talking: bool) -> None:
        """Hold to talk: unmute while held when muted; mute again on release."""
        session = self.session
        if session is None:
            return
        if talking and not session.local_media.mic_on:
            self._ptt_active = True
            self._do(session.set_microphone(True), "unmute")
        elif not talking and self._ptt_active:
            self._ptt_active = False
            self._do(session.set_microphone(False), "mute")

    def toggle_view(self) -> None:
        mode = ViewMode.GRID if self.area.mode is ViewMode.FOCUS else ViewMode.FOCUS
        self.area.set_mode(mode)

    def toggle_panel(self, name: str) -> None:
        current = self._stack.currentWidget()
        showing = self.side.isVisible() and (
            current is (self.chat if name == "chat" else self.people)
        )
        self.show_panel(None if showing else name)

    def show_panel(self, name: str | None) -> None:
        if name is None:
            self.side.hide()
        else:
            self._stack.setCurrentWidget(self.chat if name == "chat" else self.people)
            self.side.show()
            self._arrange_panel()
            if name == "chat":
                self.unread = 0
                self.controls.set_unread(0)
                self.chat.input.setFocus()
        self.controls.set_panel(name)

    def panel(self) -> str | None:
        if not self.side.isVisible():
            return None
        return "chat" if self._stack.currentWidget() is self.chat else "people"

    def choose_device(self, kind: DeviceKind, device_id: str) -> None:
        self._settings.set_device(kind, device_id)
        if self.session is not None:
            self._do(self.session.select_device(kind, device_id), "switch the device")
            self._refresh_devices()

    def _save_file(self, transfer_id: str, path: Path) -> None:
        async def save() -> None:
            await self._s().save_file(transfer_id, path)
            self.toasts.show_toast(f"Saved {path.name}")

        self._do(save(), "save the file")

    # ----- small windows -------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange_panel()

    def _arrange_panel(self) -> None:
        """Beside the grid when there is room; over it (the grid keeps its size) when not."""
        overlay = self.width() - PANEL_WIDTH < MIN_GRID_WIDTH
        if overlay != self.panel_overlays:
            self.panel_overlays = overlay
            shown = not self.side.isHidden()
            if overlay:
                self._top.removeWidget(self.side)
                self.side.setParent(self)
                self.side.setProperty("overlay", True)
            else:
                self.side.setParent(None)
                self._top.addWidget(self.side)
                self.side.setProperty("overlay", False)
            self.side.setVisible(shown)
        if overlay:
            area = self.area.geometry()
            self.side.setGeometry(
                area.right() - PANEL_WIDTH + 1, area.y(), PANEL_WIDTH, area.height()
            )
            self.side.raise_()
        self.toasts.place()

    def _toast_obstacles(self) -> list[QRect]:
        rects = self.area.status_rects()
        if self.banner.isVisible():
            rects.append(self.banner.geometry().adjusted(-8, -8, 8, 8))
        if self.panel_overlays and self.side.isVisible():
            rects.append(self.side.geometry())  # the area starts at the page's origin
        return rects

    def media_state(self) -> LocalMedia | None:
        return self.session.local_media if self.session else None

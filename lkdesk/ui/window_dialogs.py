"""The main window's dialogs: the share picker and Settings (opened with ``open()``)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt

from lkdesk.session import ProfileTarget, ShareKind, log_file
from lkdesk.session.network_steps import CheckStep, NetworkReport
from lkdesk.ui.audio_processing_controls import AudioProcessingControls
from lkdesk.ui.network_check_view import CheckRun, NetworkCheckDialog
from lkdesk.ui.settings_dialog import SettingsDialog
from lkdesk.ui.settings_pages.common import DevicePreview
from lkdesk.ui.share_picker import SharePicker

if TYPE_CHECKING:
    from lkdesk.ui.main_window import MainWindow


def _clear_logs(path: Path) -> None:
    """Empty the log and remove its rotated copies (the file stays open for logging)."""
    for old in path.parent.glob(f"{path.name}.*"):
        old.unlink(missing_ok=True)
    if path.exists():
        with path.open("w", encoding="utf-8"):
            pass


class WindowDialogs(QObject):
    """Opens and answers the window's dialogs; each is deleted when it closes."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.share_picker: SharePicker | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.network_dialog: NetworkCheckDialog | None = None

    def open_share_picker(self) -> None:
        """Let the user choose a screen or window; sharing starts when they do."""
        w = self.window
        session = w.session
        if session is None:
            return
        picker = SharePicker(w, session, w.runner, session.capabilities.system_audio)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.chosen.connect(lambda source, audio: self._share(picker, source, audio))
        self.share_picker = picker
        picker.resize(min(860, w.width() - 40), min(680, w.height() - 40))  # fits the window
        picker.open()
        picker.load()

    def _share(self, picker: SharePicker, source_id: str, with_audio: bool) -> None:
        w = self.window
        source = picker.selected()
        w.room.share(source_id, with_audio)
        whole_screen = source is not None and source.kind is ShareKind.SCREEN
        if whole_screen and picker.minimise.isChecked():
            w.showMinimized()  # no mirror of lkdesk in what the others see

    def open_settings(self) -> None:
        """Settings, with live device previews (the call's devices, or a device check)."""
        w = self.window
        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            return
        owns = w.session is None
        preview: DevicePreview = w.session if w.session else w.factory.device_check()
        book = w.factory.book
        places = [
            ("Settings", w.settings.file_name()),
            ("Saved servers", str(book.config_path) if book and book.config_path else "none"),
            ("Secrets", book.secrets_where() if book else "not saved"),
            ("Log", str(log_file().parent)),
        ]
        dialog = SettingsDialog(
            w,
            w.settings,
            w.shortcuts,
            w.runner,
            preview,
            owns_preview=owns,
            places=places,
            log_file=log_file(),
        )
        processing = AudioProcessingControls()
        processing.set_settings(w.settings.audio_processing)
        if w.session is not None:
            processing.set_feature(w.session.capabilities.audio_processing)
        processing.changed.connect(w.set_audio_processing)
        dialog.audio.embed_processing(processing)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._settings_applied(dialog))
        dialog.forget_everything.connect(lambda: self._forget_everything(dialog))
        dialog.network.check_requested.connect(self.check_profile_network)
        dialog.destroyed.connect(self._settings_gone)  # deleted on close: forget it
        self.settings_dialog = dialog
        dialog.open()
        dialog.load()
        if book is not None and book.usable:

            async def servers() -> None:
                profiles = await book.profiles()
                dialog.network.set_servers([(p.id, p.label) for p in profiles])

            w.runner.run(servers(), "list the saved servers")

    def _settings_gone(self) -> None:
        self.settings_dialog = None

    def check_network(self, run: CheckRun, where: str) -> NetworkCheckDialog:
        """Open the network check dialog and start ``run``."""
        dialog = NetworkCheckDialog(self.window, self.window.runner, run, where)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.network_dialog = dialog
        dialog.open()
        dialog.start()
        return dialog

    def check_profile_network(self, profile_id: str) -> None:
        """The network check for a saved server (a throw-away room with its API key)."""
        factory = self.window.factory

        async def run(on_step: Callable[[CheckStep], None]) -> NetworkReport:
            from lkdesk.session.network_check import NetworkCheck

            room = f"lkdesk-network-check-{secrets.token_hex(3)}"
            target = ProfileTarget(profile_id, room=room, display_name="Network check")
            return await NetworkCheck(await factory.credentials(target), on_step).run()

        self.check_network(run, "the saved server")

    def _settings_applied(self, dialog: SettingsDialog) -> None:
        w = self.window
        if w.theme_controller is not None:
            w.theme_controller.apply(dialog.theme_mode())
        w.apply_settings()
        session = w.session
        if session is not None:
            for kind, device_id in dialog.devices().items():
                w.runner.run(session.select_device(kind, device_id), "switch the device")
            w.runner.run(
                session.set_camera_height(w.settings.camera_height), "change the camera resolution"
            )

    def _forget_everything(self, dialog: SettingsDialog) -> None:
        w = self.window
        book = w.factory.book

        async def forget() -> None:
            if book is not None and book.usable:
                await book.forget_everything()
            w.settings.clear()
            await w.desktop.history.forget_all()
            await asyncio.to_thread(_clear_logs, log_file())
            dialog.privacy.show_done(
                "Done: lkdesk has forgotten your servers, secrets, settings, chat history "
                "and log."
            )
            w.refresh_profiles()

        w.runner.run(forget(), "forget everything", on_error=lambda m: dialog.privacy.show_done(m))

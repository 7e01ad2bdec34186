"""``SettingsDialog``: every setting on pages chosen from a list on the left.

Opened with ``open()`` (never ``exec()``). Device pages preview live through a
:class:`~lkdesk.ui.settings_pages.common.DevicePreview`: the call's session, or a device
check the dialog owns when no call is open. "Save" applies and emits ``accepted``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import DeviceKind, Notice
from lkdesk.ui.actions import ActionRunner
from lkdesk.ui.settings import AppSettings
from lkdesk.ui.settings_pages.about import AboutPage
from lkdesk.ui.settings_pages.audio import AudioPage
from lkdesk.ui.settings_pages.common import DevicePreview, fill_devices
from lkdesk.ui.settings_pages.desktop_flags import FlagsBox
from lkdesk.ui.settings_pages.general import GeneralPage
from lkdesk.ui.settings_pages.global_keys import GlobalKeysBox
from lkdesk.ui.settings_pages.keys import KeysPage
from lkdesk.ui.settings_pages.network import NetworkPage
from lkdesk.ui.settings_pages.notifications import NotificationsPage
from lkdesk.ui.settings_pages.privacy import PrivacyPage
from lkdesk.ui.settings_pages.video import VideoPage
from lkdesk.ui.shortcuts import Shortcuts
from lkdesk.ui.theme import ThemeMode

logger = logging.getLogger(__name__)


class SettingsDialog(QDialog):
    """Changes apply on Save; the caller listens to ``accepted`` and reads :meth:`devices`."""

    forget_everything = Signal()

    def __init__(
        self,
        parent: QWidget,
        settings: AppSettings,
        shortcuts: Shortcuts,
        runner: ActionRunner,
        preview: DevicePreview | None,
        *,
        owns_preview: bool,
        places: list[tuple[str, str]],
        log_file: Path,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("SettingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumSize(QSize(720, 520))
        self._settings = settings
        self._runner = runner
        self._preview = preview
        self._owns_preview = owns_preview
        self.general = GeneralPage(settings)
        self.audio = AudioPage(settings)
        self.video = VideoPage(settings)
        self.keys = KeysPage(shortcuts, settings)
        self.notifications = NotificationsPage(settings)
        self.network = NetworkPage(settings)
        self.privacy = PrivacyPage(places)
        self.about = AboutPage(log_file)
        self.flags = {
            self.general: FlagsBox(settings, ("keep_in_tray", "mini_window")),
            self.notifications: FlagsBox(
                settings, ("desktop_notifications", "mentions_only", "do_not_disturb")
            ),
            self.privacy: FlagsBox(settings, ("history",)),
        }
        for page, box in self.flags.items():
            page.column.insertWidget(page.column.count() - 1, box)  # before the stretch
        self.pages = QStackedWidget()
        self.nav = QListWidget()
        self.nav.setObjectName("SettingsNav")
        self.nav.setFixedWidth(180)
        for page in (
            self.general,
            self.audio,
            self.video,
            self.keys,
            self.notifications,
            self.network,
            self.privacy,
            self.about,
        ):
            self.pages.addWidget(_scrolling(page) if page is self.keys else page)
            self.nav.addItem(page.title.replace(" lkdesk", ""))
        self.nav.currentRowChanged.connect(self.show_page)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.nav)
        body.addWidget(self.pages, 1)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.save_button = QPushButton("Save")
        self.save_button.setProperty("kind", "primary")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._save)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(16, 10, 16, 14)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(body, 1)
        column.addLayout(buttons)
        self.audio.test_clicked.connect(self._test_speaker)
        self.privacy.forget_everything.connect(self.forget_everything.emit)
        self.video.resolution.currentIndexChanged.connect(self._resolution_changed)
        for kind, combo in self._combos().items():
            combo.currentIndexChanged.connect(lambda _i, k=kind: self._device_picked(k))
        self.finished.connect(self._closed)
        self._handlers: list[tuple[Any, Any]] = []
        self.nav.setCurrentRow(0)

    # ----- devices -----------------------------------------------------------------------

    def _combos(self) -> dict[DeviceKind, Any]:
        return {**self.audio.combos(), DeviceKind.CAMERA: self.video.camera}

    def load(self) -> None:
        """Find the devices (a device check scans first) and listen to the preview."""
        box = self.keys.global_keys
        if box is not None:
            self._runner.run(_availability(box), "check the global shortcuts")
        preview = self._preview
        if preview is None:
            return
        for event, handler in (
            ("preview_frame", self.video.preview.set_frame),
            ("mic_level", self.audio.meter.set_level),
            ("notice", self._notice),
        ):
            preview.on(event, handler)  # type: ignore[arg-type]
            self._handlers.append((event, handler))

        async def load() -> None:
            if self._owns_preview:
                await preview.refresh_devices()
            for kind, combo in self._combos().items():
                fill_devices(combo, preview.devices(kind), self._settings.device(kind))
            self._preview_for(self.pages.currentWidget())

        self._runner.run(load(), "find your devices", on_error=self._error)

    def show_page(self, row: int) -> None:
        self.pages.setCurrentIndex(row)
        self._preview_for(self.pages.currentWidget())

    def _preview_for(self, page: QWidget | None) -> None:
        """Camera preview on the Video page, the microphone meter on the Audio page."""
        if self._preview is None or not self.isVisible():
            return
        camera, mic = page is self.video, page is self.audio
        self._runner.run(
            self._preview.start_preview(camera=camera, microphone=mic),
            "start the preview",
            on_error=self._error,
        )

    def _device_picked(self, kind: DeviceKind) -> None:
        device_id = self._combos()[kind].currentData()
        if self._preview is not None and device_id:
            self._runner.run(
                self._preview.select_device(kind, str(device_id)),
                "switch the device",
                on_error=self._error,
            )

    def _resolution_changed(self) -> None:
        if self._preview is not None:
            self._runner.run(
                self._preview.set_camera_height(self.video.height_choice()),
                "change the resolution",
                on_error=self._error,
            )

    def _test_speaker(self) -> None:
        preview = self._preview
        if preview is None:
            return
        button = self.audio.test_button

        async def test() -> None:
            button.setText("Playing…")
            button.setEnabled(False)
            try:
                await preview.test_speaker()
            finally:
                button.setText("Test")
                button.setEnabled(True)

        self._runner.run(test(), "play the test sound", on_error=self._error)

    def _notice(self, notice: Notice) -> None:
        self._error(notice.text)

    def _error(self, message: str) -> None:
        logger.info("settings: %s", message)
        self.video.preview.message = message
        self.video.preview.update()

    def _closed(self) -> None:
        preview, self._preview = self._preview, None
        if preview is None:
            return
        for event, handler in self._handlers:
            preview.off(event, handler)
        self._handlers.clear()

        async def close() -> None:
            await preview.stop_preview()
            if self._owns_preview:
                await preview.aclose()

        self._runner.run(close(), "close the device preview")

    # ----- results -------------------------------------------------------------------------

    def theme_mode(self) -> ThemeMode:
        return self.general.theme_mode()

    def devices(self) -> dict[DeviceKind, str]:
        return {
            kind: str(combo.currentData())
            for kind, combo in self._combos().items()
            if combo.currentData()
        }

    def _save(self) -> None:
        settings = self._settings
        self.general.save(settings)
        self.video.save(settings)
        self.notifications.save(settings)
        self.network.save(settings)
        for kind, device_id in self.devices().items():
            settings.set_device(kind, device_id)
        self.keys.save(settings)
        for box in self.flags.values():
            box.save(settings)
        settings.sync()
        self.accept()


async def _availability(box: GlobalKeysBox) -> None:
    from lkdesk.session.global_keys import GlobalShortcuts

    box.show_availability(await GlobalShortcuts.availability())


def _scrolling(page: QWidget) -> QScrollArea:
    """``page`` in a scroll area: the shortcuts are taller than a 640-pixel screen allows."""
    area = QScrollArea()
    area.setWidget(page)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area

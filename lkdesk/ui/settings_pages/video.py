"""Settings → Video: camera, resolution, mirror, and a live preview."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox

from lkdesk.session import DeviceKind
from lkdesk.ui.prejoin_page import Preview
from lkdesk.ui.settings import AppSettings
from lkdesk.ui.settings_pages.common import Page, device_combo

RESOLUTIONS = (
    (360, "360p (saves bandwidth)"),
    (540, "540p"),
    (720, "720p HD"),
    (1080, "1080p Full HD"),
)


class VideoPage(Page):
    title = "Video"

    def __init__(self, settings: AppSettings) -> None:
        super().__init__("Your camera as the others will see it (mirrored only for you).")
        self.camera = device_combo((), settings.device(DeviceKind.CAMERA))
        self.resolution = QComboBox()
        for height, text in RESOLUTIONS:
            self.resolution.addItem(text, height)
        self.resolution.setCurrentIndex(max(self.resolution.findData(settings.camera_height), 0))
        self.mirror = QCheckBox("Mirror my video (only on my screen)")
        self.mirror.setChecked(settings.mirror_video)
        self.form.addRow("Camera", self.camera)
        self.form.addRow("Resolution", self.resolution)
        self.form.addRow("", self.mirror)
        self.preview = Preview()
        self.preview.setMinimumSize(320, 180)
        self.preview.mirrored = self.mirror.isChecked()
        self.mirror.toggled.connect(self._mirror)
        self.column.addWidget(self.preview, 1)

    def _mirror(self, on: bool) -> None:
        self.preview.mirrored = on
        self.preview.update()

    def height_choice(self) -> int:
        return int(self.resolution.currentData())

    def save(self, settings: AppSettings) -> None:
        settings.mirror_video = self.mirror.isChecked()
        settings.camera_height = self.height_choice()

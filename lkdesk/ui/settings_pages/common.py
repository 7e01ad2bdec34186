"""What every Settings page shares: a title, a short description, a form."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtWidgets import QComboBox, QFormLayout, QVBoxLayout, QWidget

from lkdesk.session import Device, DeviceKind, SessionEvent
from lkdesk.ui.widgets import label


class DevicePreview(Protocol):
    """A session, or a device check when no call is open: what the device pages use."""

    def devices(self, kind: DeviceKind) -> tuple[Device, ...]: ...
    def on(self, event: SessionEvent, handler: Any) -> None: ...
    def off(self, event: SessionEvent, handler: Any) -> None: ...
    async def start_preview(self, *, camera: bool, microphone: bool) -> None: ...
    async def stop_preview(self) -> None: ...
    async def test_speaker(self) -> None: ...
    async def select_device(self, kind: DeviceKind, device_id: str) -> None: ...
    async def set_camera_height(self, height: int) -> None: ...
    async def refresh_devices(self) -> None: ...
    async def aclose(self) -> None: ...


class Page(QWidget):
    """A titled page with a form; subclasses add rows."""

    title = ""

    def __init__(self, description: str = "") -> None:
        super().__init__()
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(24, 18, 24, 18)
        self.column.setSpacing(10)
        self.column.addWidget(label(self.title, "heading"))
        self.description = label(description, "muted")
        self.description.setVisible(bool(description))
        self.column.addWidget(self.description)
        self.form = QFormLayout()
        self.form.setVerticalSpacing(10)
        self.form.setHorizontalSpacing(16)
        self.column.addLayout(self.form)

    def finish(self) -> None:
        self.column.addStretch(1)


def device_combo(devices: tuple[Device, ...], current: str) -> QComboBox:
    combo = QComboBox()
    for device in devices:
        combo.addItem(device.name, device.id)
    if not devices:
        combo.addItem("No device found")
        combo.setEnabled(False)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    return combo


def fill_devices(combo: QComboBox, devices: tuple[Device, ...], current: str) -> None:
    combo.blockSignals(True)
    combo.clear()
    for device in devices:
        combo.addItem(device.name, device.id)
    if not devices:
        combo.addItem("No device found")
    combo.setEnabled(bool(devices))
    combo.setCurrentIndex(max(combo.findData(current), 0))
    combo.blockSignals(False)

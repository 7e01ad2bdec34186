"""``DeviceCheck``: camera preview, microphone level and speaker test outside a call.

The Settings dialog uses it when no call is open (in a call it uses the call's session,
which has the same methods). Events: ``preview_frame`` (RGB ndarray), ``mic_level``
(0..1), ``notice`` (Notice) when a device stops.
"""

from __future__ import annotations

from typing import Any

from lkdesk.core.tasks import TaskSet
from lkdesk.session.devices import DeviceScan, scan_devices
from lkdesk.session.emitter import Emitter, Handler, SessionEvent
from lkdesk.session.errors import NotAvailableError
from lkdesk.session.local_media import CAMERA, MIC, LocalMediaController
from lkdesk.session.model import Device, DeviceKind, Feature, Notice, NoticeLevel
from lkdesk.session.remote_audio import play_test_tone

_KIND_OF = {DeviceKind.MICROPHONE: MIC, DeviceKind.CAMERA: CAMERA}


class DeviceCheck:
    """Preview devices with no room; :meth:`aclose` releases them."""

    def __init__(self) -> None:
        self.events = Emitter()
        self._scan = DeviceScan()
        self._tasks = TaskSet("device-check")
        self._devices: dict[DeviceKind, str] = {}
        self._local = LocalMediaController(
            self._tasks, self._on_video, self._on_level, self._on_stopped
        )

    def on(self, event: SessionEvent, handler: Handler) -> None:
        self.events.on(event, handler)

    def off(self, event: SessionEvent, handler: Handler) -> None:
        self.events.off(event, handler)

    def devices(self, kind: DeviceKind) -> tuple[Device, ...]:
        return self._scan.devices.get(kind, ())

    def feature(self, kind: DeviceKind) -> Feature:
        return self._scan.feature(kind)

    async def refresh_devices(self) -> None:
        self._scan = await scan_devices()

    async def select_device(self, kind: DeviceKind, device_id: str) -> None:
        self._devices[kind] = device_id
        local = _KIND_OF.get(kind)
        if local is not None and self._local.is_running(local):
            await self._local.capture(local, device_id)

    async def start_preview(self, *, camera: bool, microphone: bool) -> None:
        for kind, local, wanted in (
            (DeviceKind.CAMERA, CAMERA, camera),
            (DeviceKind.MICROPHONE, MIC, microphone),
        ):
            if wanted and self.feature(kind).available:
                await self._local.capture(local, self._devices.get(kind) or None)
            else:
                await self._local.stop(local)

    async def stop_preview(self) -> None:
        await self._local.stop_all()

    async def test_speaker(self) -> None:
        speaker = self.feature(DeviceKind.SPEAKER)
        if not speaker.available:
            raise NotAvailableError(speaker.reason)
        await play_test_tone(self._devices.get(DeviceKind.SPEAKER))

    async def set_camera_height(self, height: int) -> None:
        await self._local.set_camera_height(height)

    async def aclose(self) -> None:
        await self._local.stop_all()
        await self._tasks.aclose()
        self.events.off_all()

    def _on_video(self, kind: str, frame: Any) -> None:
        if kind == CAMERA:
            self.events.emit("preview_frame", frame)

    def _on_level(self, level: float) -> None:
        self.events.emit("mic_level", level)

    def _on_stopped(self, kind: str, reason: str) -> None:
        self.events.emit("notice", Notice(reason, NoticeLevel.ERROR))

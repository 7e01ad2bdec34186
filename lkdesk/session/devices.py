"""Finding local cameras, microphones, speakers and screens (off the event loop)."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from lkdesk import media
from lkdesk.core.errors import LkdeskError
from lkdesk.session.model import AVAILABLE, Device, DeviceKind, Feature
from lkdesk.session.share_sources import screen_feature, system_audio_feature

logger = logging.getLogger(__name__)

_NONE = {
    DeviceKind.CAMERA: "No camera was found. Connect one, then choose it in Settings.",
    DeviceKind.MICROPHONE: "No microphone was found. Connect one, then choose it in Settings.",
    DeviceKind.SPEAKER: "No speaker or headset was found, so you cannot hear the others.",
}


@dataclass(frozen=True, slots=True)
class DeviceScan:
    """What was found, and for each kind found empty, why (in plain words)."""

    devices: dict[DeviceKind, tuple[Device, ...]] = field(default_factory=dict)
    problems: dict[DeviceKind, str] = field(default_factory=dict)
    screen: Feature = AVAILABLE
    system_audio: Feature = AVAILABLE

    def feature(self, kind: DeviceKind) -> Feature:
        if self.devices.get(kind):
            return Feature(True)
        return Feature(False, self.problems.get(kind, _NONE[kind]))


def _audio(kind: DeviceKind) -> tuple[Device, ...]:
    found = (
        media.list_audio_inputs() if kind is DeviceKind.MICROPHONE else (media.list_audio_outputs())
    )
    ordered = sorted(found, key=lambda d: not d.is_default)
    return tuple(Device(d.name, d.name, kind) for d in ordered)


CAMERA_FILE_ENV = "LKDESK_CAMERA_FILE"


def _clip_cameras() -> tuple[Device, ...]:
    """A video file named by $LKDESK_CAMERA_FILE, offered as a camera (demos, tests)."""
    path = os.environ.get(CAMERA_FILE_ENV, "")
    if not path or not Path(path).is_file():
        return ()
    return (Device(path, f"Video file: {Path(path).name}", DeviceKind.CAMERA),)


def _scan() -> DeviceScan:
    scan = DeviceScan()
    try:
        cameras = media.list_cameras()
        scan.devices[DeviceKind.CAMERA] = _clip_cameras() + tuple(
            Device(str(c.index), c.name, DeviceKind.CAMERA) for c in cameras
        )
    except (LkdeskError, OSError) as exc:
        scan.problems[DeviceKind.CAMERA] = str(exc)
    for kind in (DeviceKind.MICROPHONE, DeviceKind.SPEAKER):
        try:
            scan.devices[kind] = _audio(kind)
        except (LkdeskError, OSError) as exc:
            scan.problems[kind] = str(exc)
    return DeviceScan(scan.devices, scan.problems, screen_feature(), system_audio_feature())


async def scan_devices() -> DeviceScan:
    """Every local device lkdesk can use (device enumeration may block, so it runs aside)."""
    scan = await asyncio.to_thread(_scan)
    logger.info(
        "devices: %s",
        ", ".join(f"{k.value}={len(v)}" for k, v in scan.devices.items()) or "none",
    )
    return scan

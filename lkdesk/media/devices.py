"""Audio and camera device discovery, and translation of backend errors into DeviceError.

PortAudio (through ``sounddevice``) is imported lazily by :func:`load_sounddevice` so that
``import lkdesk.media`` works on a machine without it; the first audio call then raises a
:class:`BackendMissingError` that says which package to install.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from lkdesk.media.errors import (
    BackendMissingError,
    DeviceBusyError,
    DeviceError,
    DeviceNotFoundError,
)

logger = logging.getLogger(__name__)

AudioKind = Literal["input", "output"]

PORTAUDIO_HINT = (
    "Install it (Debian/Ubuntu: sudo apt install libportaudio2; Fedora: sudo dnf install "
    "portaudio; Arch: sudo pacman -S portaudio) and restart lkdesk."
)

# PortAudio's PaErrorCode values that deserve their own message.
_PA_INVALID_CHANNEL_COUNT = -9998
_PA_INVALID_SAMPLE_RATE = -9997
_PA_INVALID_DEVICE = -9996
_PA_SAMPLE_FORMAT_NOT_SUPPORTED = -9994
_PA_DEVICE_UNAVAILABLE = -9985


def _label(kind: AudioKind) -> str:
    return "microphone" if kind == "input" else "speaker"


def load_sounddevice() -> ModuleType:
    """Import ``sounddevice``; a missing PortAudio library becomes BackendMissingError."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio is absent
        raise BackendMissingError(
            f"Audio is unavailable: the PortAudio library could not be loaded ({exc}). "
            + PORTAUDIO_HINT
        ) from exc
    module: ModuleType = sounddevice
    return module


@dataclass(frozen=True, slots=True)
class AudioDevice:
    """One PortAudio device seen from one direction (``kind``)."""

    index: int
    name: str
    kind: AudioKind
    channels: int
    host_api: str
    default_sample_rate: float
    is_default: bool


@dataclass(frozen=True, slots=True)
class ResolvedAudioDevice:
    """The device to open, and why it is not the one asked for (None if it is)."""

    device: AudioDevice
    fallback_reason: str | None = None


def _query_all(sd: ModuleType) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    try:
        return list(sd.query_devices()), list(sd.query_hostapis())
    except sd.PortAudioError as exc:
        raise DeviceError(
            f"Could not list audio devices ({exc}). Check that the audio system "
            "(PulseAudio, PipeWire, ALSA) works, then try again."
        ) from exc


def _default_index(sd: ModuleType, kind: AudioKind) -> int:
    pos = 0 if kind == "input" else 1
    try:
        value = sd.default.device[pos]
    except (TypeError, IndexError):
        return -1
    return int(value) if isinstance(value, int) else -1


def list_audio_devices(kind: AudioKind) -> list[AudioDevice]:
    """Devices usable as microphones (``"input"``) or speakers (``"output"``)."""
    sd = load_sounddevice()
    devices, host_apis = _query_all(sd)
    default = _default_index(sd, kind)
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    result = []
    for info in devices:
        channels = int(info[key])
        if channels <= 0:
            continue
        index = int(info["index"])
        host_api_index = int(info["hostapi"])
        host_api = (
            str(host_apis[host_api_index]["name"]) if host_api_index < len(host_apis) else "?"
        )
        result.append(
            AudioDevice(
                index=index,
                name=str(info["name"]),
                kind=kind,
                channels=channels,
                host_api=host_api,
                default_sample_rate=float(info["default_samplerate"]),
                is_default=index == default,
            )
        )
    return result


def list_audio_inputs() -> list[AudioDevice]:
    """Microphones and other capture devices."""
    return list_audio_devices("input")


def list_audio_outputs() -> list[AudioDevice]:
    """Speakers, headsets and other playback devices."""
    return list_audio_devices("output")


def _match(devices: list[AudioDevice], wanted: int | str) -> AudioDevice | None:
    if isinstance(wanted, int):
        return next((d for d in devices if d.index == wanted), None)
    exact = [d for d in devices if d.name == wanted]
    if exact:
        return exact[0]
    needle = wanted.casefold()
    return next((d for d in devices if needle in d.name.casefold()), None)


def resolve_audio_device(
    wanted: int | str | None, kind: AudioKind, *, fallback_to_default: bool = True
) -> ResolvedAudioDevice:
    """Find ``wanted`` (index or name; None = default); fall back to the default if allowed."""
    label = _label(kind)
    devices = list_audio_devices(kind)
    default = next((d for d in devices if d.is_default), devices[0] if devices else None)
    if wanted is None:
        if default is None:
            raise DeviceNotFoundError(
                f"No {label} was found. Connect one, or check that the audio system "
                "(PulseAudio, PipeWire, ALSA) is running and that lkdesk may use it."
            )
        return ResolvedAudioDevice(default)
    found = _match(devices, wanted)
    if found is not None:
        return ResolvedAudioDevice(found)
    reason = f"The {label} {wanted!r} was not found"
    if not fallback_to_default or default is None:
        available = ", ".join(repr(d.name) for d in devices) or "none"
        raise DeviceNotFoundError(
            f"{reason}. Available: {available}. Connect it or choose another {label}."
        )
    return ResolvedAudioDevice(default, f"{reason}; using the default {label} {default.name!r}.")


def translate_portaudio_error(exc: Exception, kind: AudioKind, device_name: str) -> DeviceError:
    """A DeviceError with an actionable message for a PortAudio failure to open a stream."""
    label = _label(kind)
    code = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
    what = f"The {label} {device_name!r}"
    if code == _PA_DEVICE_UNAVAILABLE:
        return DeviceBusyError(
            f"{what} is busy or unavailable: close other applications that use it, "
            f"or choose another {label}."
        )
    if code == _PA_INVALID_DEVICE:
        return DeviceNotFoundError(f"{what} no longer exists: choose another {label}.")
    if code in (
        _PA_INVALID_SAMPLE_RATE,
        _PA_INVALID_CHANNEL_COUNT,
        _PA_SAMPLE_FORMAT_NOT_SUPPORTED,
    ):
        return DeviceError(
            f"{what} does not support the format lkdesk needs ({exc}): choose another {label}."
        )
    return DeviceError(
        f"{what} could not be opened ({exc}). Check that the audio system (PulseAudio, "
        f"PipeWire, ALSA) is running and the device is connected, or choose another {label}."
    )


# --- cameras ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CameraDevice:
    """A camera OpenCV can open by ``index``; ``path`` is its device node on Linux."""

    index: int
    name: str
    path: str | None = None


_VIDEO_NODE = re.compile(r"^video(\d+)$")


def _linux_cameras(
    dev: Path = Path("/dev"), sysfs: Path = Path("/sys/class/video4linux")
) -> list[CameraDevice]:
    cameras = []
    for node in dev.glob("video*"):
        match = _VIDEO_NODE.match(node.name)
        if match is None:
            continue
        info = sysfs / node.name
        try:  # metadata nodes of UVC cameras have index 1: only list capture nodes
            if (info / "index").read_text().strip() not in ("", "0"):
                continue
        except OSError:
            pass
        try:
            name = (info / "name").read_text().strip() or node.name
        except OSError:
            name = node.name
        cameras.append(CameraDevice(index=int(match.group(1)), name=name, path=str(node)))
    return sorted(cameras, key=lambda c: c.index)


def _probe_cameras(max_probe: int, budget_s: float) -> list[CameraDevice]:
    import cv2

    cameras = []
    deadline = time.monotonic() + budget_s
    for index in range(max_probe):
        if time.monotonic() >= deadline:
            logger.info("camera probing stopped after %.1f s at index %d", budget_s, index)
            break
        capture = cv2.VideoCapture(index)
        try:
            if capture.isOpened():
                cameras.append(CameraDevice(index=index, name=f"Camera {index}"))
        finally:
            capture.release()
    return cameras


def list_cameras(*, max_probe: int = 4, budget_s: float = 3.0) -> list[CameraDevice]:
    """Cameras: /dev/video* capture nodes on Linux; elsewhere a time-bounded probe.

    On other systems this opens indices 0..max_probe-1 and may block up to about
    ``budget_s`` (plus one open): call it off the event loop.
    """
    if sys.platform.startswith("linux"):
        return _linux_cameras()
    return _probe_cameras(max_probe, budget_s)


def camera_index_message(index: int) -> str | None:
    """Why camera ``index`` cannot exist (Linux: no /dev/videoN), or None if it might."""
    if not sys.platform.startswith("linux"):
        return None
    path = Path(f"/dev/video{index}")
    if path.exists():
        return None
    found = ", ".join(f"{c.index} ({c.name})" for c in _linux_cameras()) or "none"
    return (
        f"No camera at index {index}: {path} does not exist (cameras found: {found}). "
        "Connect a camera or choose another one."
    )

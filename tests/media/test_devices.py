"""Device lists and the errors people see when something is missing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lkdesk.media.devices import (
    list_audio_inputs,
    list_audio_outputs,
    list_cameras,
    load_sounddevice,
    resolve_audio_device,
    translate_portaudio_error,
)
from lkdesk.media.errors import DeviceBusyError, DeviceError, DeviceNotFoundError

REPO = Path(__file__).resolve().parents[2]


def test_missing_portaudio_names_the_package_to_install() -> None:
    # A machine without libportaudio: make the library lookup fail in a fresh interpreter.
    code = textwrap.dedent(
        """
        import ctypes.util
        ctypes.util.find_library = lambda name: None
        import lkdesk.media
        from lkdesk.media.devices import list_audio_inputs
        from lkdesk.media.errors import BackendMissingError
        try:
            list_audio_inputs()
        except BackendMissingError as exc:
            print(exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "PortAudio library could not be loaded" in result.stdout
    assert "sudo apt install libportaudio2" in result.stdout


@pytest.mark.usefixtures("sandbox_audio")
def test_audio_devices_are_listed_with_a_default() -> None:
    for devices, kind in ((list_audio_inputs(), "input"), (list_audio_outputs(), "output")):
        names = {d.name for d in devices}
        assert {"pulse", "default"} <= names
        assert sum(d.is_default for d in devices) == 1
        assert all(d.kind == kind and d.channels > 0 and d.host_api for d in devices)


@pytest.mark.usefixtures("sandbox_audio")
def test_devices_resolve_by_index_name_or_part_of_a_name() -> None:
    pulse = next(d for d in list_audio_outputs() if d.name == "pulse")
    assert resolve_audio_device(pulse.index, "output").device == pulse
    assert resolve_audio_device("pulse", "output").device == pulse
    assert resolve_audio_device("PUL", "output").device == pulse
    fallback = resolve_audio_device("headset", "output")
    assert fallback.device.is_default
    assert fallback.fallback_reason == (
        f"The speaker 'headset' was not found; using the default speaker {fallback.device.name!r}."
    )


def test_no_camera_on_this_machine_is_an_empty_list() -> None:
    cameras = list_cameras()
    if not Path("/dev/video0").exists():
        assert cameras == []
    assert all(c.path is None or c.path.startswith("/dev/video") for c in cameras)


@pytest.mark.parametrize(
    ("code", "kind", "expected"),
    [
        (-9985, DeviceBusyError, "is busy or unavailable: close other applications"),
        (-9996, DeviceNotFoundError, "no longer exists: choose another microphone"),
        (-9997, DeviceError, "does not support the format lkdesk needs"),
        (-9999, DeviceError, "Check that the audio system (PulseAudio, PipeWire, ALSA) is"),
    ],
)
def test_portaudio_errors_become_messages_a_person_can_act_on(
    code: int, kind: type[DeviceError], expected: str
) -> None:
    sd = load_sounddevice()
    error = translate_portaudio_error(sd.PortAudioError("Error opening", code), "input", "USB Mic")
    assert type(error) is kind
    assert str(error).startswith("The microphone 'USB Mic' ")
    assert expected in str(error)

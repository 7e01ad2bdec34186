"""lkdesk.media: devices, capture, remote audio playback, microphone processing. No Qt.

This is the only layer that runs threads. Capture objects produce lkdesk's own frame types
(``lkdesk.core.frames.AudioFrame``, ``VideoFrameEvent``) as async iterators;
:class:`AudioPlayback` consumes remote ``AudioFrame``\\ s. It does not know lkdesk.rtc:
lkdesk.session wires devices to the room. Every object has
``start()`` / ``aclose()``, a ``state``, and reports device failures as an ``"error"`` event.
"""

from lkdesk.media._video_thread import CaptureFormat
from lkdesk.media.audio_processing import (
    AudioProcessing,
    EchoReference,
    ProcessingSettings,
    processing_problem,
)
from lkdesk.media.camera import CameraCapture
from lkdesk.media.devices import (
    AudioDevice,
    CameraDevice,
    list_audio_inputs,
    list_audio_outputs,
    list_cameras,
)
from lkdesk.media.errors import (
    BackendMissingError,
    DeviceBusyError,
    DeviceError,
    DeviceFailedError,
    DeviceNotFoundError,
)
from lkdesk.media.levels import AudioLevel
from lkdesk.media.media_file import MediaFileInfo, MediaFilePlayer, TrackRecorder, probe_file
from lkdesk.media.microphone import MicrophoneCapture
from lkdesk.media.playback import AudioPlayback, PlaybackInput
from lkdesk.media.screen import (
    WAYLAND_MESSAGE,
    MonitorInfo,
    ScreenCapture,
    grab_monitor,
    list_monitors,
    wayland_session,
)
from lkdesk.media.states import MediaState
from lkdesk.media.system_audio import SystemAudioCapture, system_audio_problem
from lkdesk.media.windows import WindowCapture, WindowInfo, grab_window, list_windows

__all__ = [
    "WAYLAND_MESSAGE",
    "AudioDevice",
    "AudioLevel",
    "AudioPlayback",
    "AudioProcessing",
    "BackendMissingError",
    "CameraCapture",
    "CameraDevice",
    "CaptureFormat",
    "DeviceBusyError",
    "DeviceError",
    "DeviceFailedError",
    "DeviceNotFoundError",
    "EchoReference",
    "MediaFileInfo",
    "MediaFilePlayer",
    "MediaState",
    "MicrophoneCapture",
    "MonitorInfo",
    "PlaybackInput",
    "ProcessingSettings",
    "ScreenCapture",
    "SystemAudioCapture",
    "TrackRecorder",
    "WindowCapture",
    "WindowInfo",
    "grab_monitor",
    "grab_window",
    "list_audio_inputs",
    "list_audio_outputs",
    "list_cameras",
    "list_monitors",
    "list_windows",
    "probe_file",
    "processing_problem",
    "system_audio_problem",
    "wayland_session",
]

"""What a real call needs from ``lkdesk.media`` and from lkdesk.rtc's publishing API.

Both are being built. This module is the one place that looks for them, so the rest of the
session can say plainly what is not available yet instead of failing somewhere deep.
The names looked up here are the agreed ones (official-SDK style for rtc).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from lkdesk.session.model import Device, DeviceKind, Feature

logger = logging.getLogger(__name__)

RTC_PUBLISHING_NAMES = (
    "VideoSource",
    "AudioSource",
    "LocalVideoTrack",
    "LocalAudioTrack",
    "TrackPublishOptions",
)
MEDIA_NAMES = {
    "microphone": "MicrophoneCapture",
    "camera": "CameraCapture",
    "screen_share": "ScreenCapture",
    "speaker": "AudioPlayback",
}
_WHAT = {
    "microphone": "Sending your microphone",
    "camera": "Sending your camera",
    "screen_share": "Sharing your screen",
    "speaker": "Playing other people's audio",
}


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        logger.warning("%s cannot be imported", name, exc_info=True)
        return None


def publishing_available() -> bool:
    """True once lkdesk.rtc has the official-SDK publishing names."""
    rtc = _module("lkdesk.rtc")
    if rtc is None or not all(hasattr(rtc, n) for n in RTC_PUBLISHING_NAMES):
        return False
    return hasattr(getattr(rtc, "LocalParticipant", None), "publish_track")


def media_module() -> Any:
    """``lkdesk.media`` (may still be empty)."""
    return _module("lkdesk.media")


def feature(kind: str) -> Feature:
    """Whether ``kind`` (microphone, camera, screen_share, speaker) works in this build."""
    media = media_module()
    has_media = media is not None and hasattr(media, MEDIA_NAMES[kind])
    needs_rtc = kind != "speaker"
    if has_media and (not needs_rtc or publishing_available()):
        return Feature(True)
    missing = "device capture" if not has_media else "publishing in lkdesk's LiveKit client"
    if kind == "speaker" and not has_media:
        missing = "audio playback"
    return Feature(
        False,
        f"{_WHAT[kind]} is not available yet in this lkdesk build ({missing} is still being "
        "built). You can still join, watch and chat.",
    )


def list_devices(kind: DeviceKind) -> tuple[Device, ...]:
    """Local devices of ``kind``; empty until ``lkdesk.media`` lists devices."""
    media = media_module()
    lister = getattr(media, "list_devices", None) if media is not None else None
    if lister is None:
        return ()
    try:
        found = lister(kind.value)
    except Exception:  # a device backend failing must not break the pre-join screen
        logger.exception("listing %s devices failed", kind.value)
        return ()
    return tuple(
        Device(str(getattr(d, "id", i)), str(getattr(d, "name", d)), kind)
        for i, d in enumerate(found)
    )

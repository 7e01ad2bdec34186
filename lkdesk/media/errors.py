"""Errors of lkdesk.media: every message says what happened and what the user can do."""

from __future__ import annotations

from lkdesk.core.errors import LkdeskError


class DeviceError(LkdeskError):
    """A capture or playback device could not be used (base class of media errors)."""


class BackendMissingError(DeviceError):
    """A system component is missing: the PortAudio library, a display server, a codec."""


class DeviceNotFoundError(DeviceError):
    """No device matches the request (bad index or name, missing file, no device at all)."""


class DeviceBusyError(DeviceError):
    """The device exists but cannot be opened: in use elsewhere or no permission."""


class DeviceFailedError(DeviceError):
    """A running device stopped working (unplugged, audio server gone, display closed)."""

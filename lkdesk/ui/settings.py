"""Per-user settings in QSettings: display name, devices, audio processing, shortcuts, theme,
geometry."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from lkdesk.session import AudioProcessingSettings, DeviceKind
from lkdesk.ui.theme import ThemeMode

DESKTOP_FLAGS: dict[str, bool] = {
    "keep_in_tray": True,  # closing the window during a call keeps the call in the tray
    "mini_window": True,  # a small always-on-top window while lkdesk is in the background
    "desktop_notifications": True,  # chat messages as desktop notifications when unfocused
    "mentions_only": False,  # … only messages that name me
    "do_not_disturb": False,  # no desktop notifications at all
    "history": True,  # keep chat history on this computer
    "global_shortcuts": True,  # push-to-talk and mute from any application
}


class AppSettings:
    """Typed access to lkdesk's QSettings (tests pass an INI file in a temp dir)."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._s = store if store is not None else QSettings("lkdesk", "lkdesk")

    def sync(self) -> None:
        self._s.sync()

    def _str(self, key: str, default: str = "") -> str:
        value = self._s.value(key, default)
        return str(value) if value is not None else default

    def _bool(self, key: str, default: bool) -> bool:
        value = self._s.value(key, default)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    @property
    def display_name(self) -> str:
        return self._str("user/display_name")

    @display_name.setter
    def display_name(self, name: str) -> None:
        self._s.setValue("user/display_name", name.strip())

    @property
    def theme(self) -> ThemeMode:
        try:
            return ThemeMode(self._str("ui/theme", ThemeMode.SYSTEM.value))
        except ValueError:
            return ThemeMode.SYSTEM

    @theme.setter
    def theme(self, mode: ThemeMode) -> None:
        self._s.setValue("ui/theme", mode.value)

    def device(self, kind: DeviceKind) -> str:
        return self._str(f"devices/{kind.value}")

    def set_device(self, kind: DeviceKind, device_id: str) -> None:
        self._s.setValue(f"devices/{kind.value}", device_id)

    @property
    def audio_processing(self) -> AudioProcessingSettings:
        """Echo cancellation, noise suppression, auto gain (each on unless turned off)."""
        return AudioProcessingSettings(
            self._bool("audio/echo_cancellation", True),
            self._bool("audio/noise_suppression", True),
            self._bool("audio/auto_gain_control", True),
        )

    @audio_processing.setter
    def audio_processing(self, settings: AudioProcessingSettings) -> None:
        self._s.setValue("audio/echo_cancellation", settings.echo_cancellation)
        self._s.setValue("audio/noise_suppression", settings.noise_suppression)
        self._s.setValue("audio/auto_gain_control", settings.auto_gain_control)

    def _int(self, key: str, default: int) -> int:
        try:
            return int(str(self._s.value(key, default)))
        except ValueError:
            return default

    @property
    def mirror_video(self) -> bool:
        """Show my own camera mirrored (as in a mirror); others always see it unmirrored."""
        return self._bool("video/mirror", True)

    @mirror_video.setter
    def mirror_video(self, on: bool) -> None:
        self._s.setValue("video/mirror", on)

    @property
    def camera_height(self) -> int:
        return self._int("video/height", 720)

    @camera_height.setter
    def camera_height(self, height: int) -> None:
        self._s.setValue("video/height", height)

    def flag(self, name: str) -> bool:
        """A desktop switch (see :data:`DESKTOP_FLAGS`): tray, mini window, notifications …"""
        return self._bool(f"desktop/{name}", DESKTOP_FLAGS[name])

    def set_flag(self, name: str, on: bool) -> None:
        if name not in DESKTOP_FLAGS:
            raise KeyError(name)
        self._s.setValue(f"desktop/{name}", on)

    def notify(self, what: str) -> bool:
        """Whether to show toasts for "join_leave" or "chat"."""
        return self._bool(f"notify/{what}", True)

    def set_notify(self, what: str, on: bool) -> None:
        self._s.setValue(f"notify/{what}", on)

    @property
    def join_timeout_s(self) -> int:
        return self._int("network/join_timeout_s", 10)

    @join_timeout_s.setter
    def join_timeout_s(self, seconds: int) -> None:
        self._s.setValue("network/join_timeout_s", seconds)

    @property
    def media_timeout_s(self) -> int:
        return self._int("network/media_timeout_s", 15)

    @media_timeout_s.setter
    def media_timeout_s(self, seconds: int) -> None:
        self._s.setValue("network/media_timeout_s", seconds)

    def file_name(self) -> str:
        """Where these settings are stored."""
        return self._s.fileName()

    def clear(self) -> None:
        """Forget every setting (Privacy → Forget everything)."""
        self._s.clear()
        self._s.sync()

    def join_with(self, what: str) -> bool:
        """Whether to join with "mic" or "camera" on (last choice; on by default)."""
        return self._bool(f"join/{what}_on", True)

    def set_join_with(self, what: str, on: bool) -> None:
        self._s.setValue(f"join/{what}_on", on)

    def shortcut(self, action: str) -> str | None:
        """The saved key sequence of ``action`` (portable text), None when never changed."""
        value = self._s.value(f"shortcuts/{action}")
        return None if value is None else str(value)

    def set_shortcut(self, action: str, sequence: str) -> None:
        self._s.setValue(f"shortcuts/{action}", sequence)

    def geometry_for(self, screen: str) -> QByteArray | None:
        """The window geometry last used on ``screen`` (see window_geometry.screen_key)."""
        value = self._s.value(f"window/geometry/{_key(screen)}")
        return value if isinstance(value, QByteArray) else None

    def set_geometry_for(self, screen: str, value: QByteArray) -> None:
        self._s.setValue(f"window/geometry/{_key(screen)}", value)

    @property
    def last_url(self) -> str:
        return self._str("connect/last_url")

    @last_url.setter
    def last_url(self, url: str) -> None:
        self._s.setValue("connect/last_url", url)


def _key(text: str) -> str:
    """A QSettings key part: no slashes or spaces."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)

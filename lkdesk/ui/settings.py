"""Per-user settings in QSettings: display name, devices, shortcuts, theme, geometry."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from lkdesk.session import DeviceKind
from lkdesk.ui.theme import ThemeMode


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

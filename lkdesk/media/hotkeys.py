"""Keys pressed anywhere on the desktop (X11, Windows, macOS), with their releases.

Push-to-talk from another application needs the key *release*, which neither Qt (it sees
only its own windows) nor Electron's global shortcuts report. pynput watches the keyboard
system-wide (on X11 through the RECORD extension, without grabbing the key from the
focused application) in a thread of its own; presses and releases of the bound keys are
handed to the loop with ``call_soon_threadsafe``. On a Wayland session X11 sees only
XWayland windows, so :func:`x11_problem` says so and lkdesk uses the portal instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

_MODIFIERS = {"ctrl": "ctrl", "control": "ctrl", "shift": "shift", "alt": "alt", "meta": "cmd"}


@dataclass(frozen=True, slots=True)
class KeyCombo:
    """A key and the modifiers held with it, in pynput's names (``f9``, ``m`` …)."""

    key: str
    modifiers: frozenset[str] = frozenset()


def parse_combo(text: str) -> KeyCombo | None:
    """``"Ctrl+Shift+M"`` or ``"F9"`` (Qt's portable text) as a :class:`KeyCombo`."""
    parts = [p.strip().lower() for p in text.split("+") if p.strip()]
    if not parts:
        return None
    modifiers = frozenset(_MODIFIERS[p] for p in parts[:-1] if p in _MODIFIERS)
    if len(modifiers) != len(parts) - 1:
        return None
    key = {"space": "space", "esc": "esc", "return": "enter", "del": "delete"}.get(
        parts[-1], parts[-1]
    )
    return KeyCombo(key, modifiers)


def x11_problem() -> str | None:
    """Why desktop-wide keys cannot be watched this way here, or None when they can."""
    if sys.platform.startswith("linux"):
        if os.environ.get("XDG_SESSION_TYPE") == "wayland" or (
            os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY")
        ):
            return "This is a Wayland session: X11 sees only some windows."
        if not os.environ.get("DISPLAY"):
            return "There is no X11 display (DISPLAY is not set)."
    try:
        import pynput  # noqa: F401
    except ImportError as exc:  # also raised when the X server refuses (no RECORD)
        return f"pynput is not available ({exc})."
    return None


class DesktopKeys:
    """Watches the bound combos; ``on_event(name, pressed)`` runs on the loop."""

    def __init__(
        self, bindings: dict[str, KeyCombo], on_event: Callable[[str, bool], None]
    ) -> None:
        self._bindings = bindings
        self._on_event = on_event
        self._listener: Any = None
        self._held: set[str] = set()
        self._active: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Start watching (pynput's listener thread)."""
        from pynput import keyboard

        self._loop = asyncio.get_running_loop()
        self._listener = keyboard.Listener(on_press=self._pressed, on_release=self._released)
        self._listener.start()
        self._listener.wait()
        logger.info("watching %d desktop-wide key(s)", len(self._bindings))

    def _name(self, key: Any) -> str:
        name = getattr(key, "name", None)  # pynput.keyboard.Key members
        if name:
            return str(name).removesuffix("_l").removesuffix("_r")
        char = getattr(key, "char", None)
        return (char or "").lower()

    def _pressed(self, key: Any) -> None:  # pynput's thread
        name = self._name(key)
        if name in _MODIFIERS.values():
            self._held.add(name)
            return
        for binding, combo in self._bindings.items():
            if combo.key == name and combo.modifiers <= self._held and binding not in self._active:
                self._active.add(binding)
                self._post(binding, True)

    def _released(self, key: Any) -> None:  # pynput's thread
        name = self._name(key)
        self._held.discard(name)
        for binding, combo in self._bindings.items():
            if binding in self._active and (combo.key == name or name in combo.modifiers):
                self._active.discard(binding)
                self._post(binding, False)

    def _post(self, binding: str, pressed: bool) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._on_event, binding, pressed)

    async def aclose(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        try:
            listener.stop()
        except Exception as exc:  # noqa: BLE001 - Xlib's own errors once the display is gone
            logger.info("the desktop-wide key listener ended with its display: %s", exc)
        await asyncio.to_thread(listener.join, 2.0)

"""Push-to-talk and mute from any application: the desktop's global shortcuts.

Where this works and how:

* X11 (and Windows, macOS): lkdesk.media.hotkeys watches the keyboard desktop-wide through
  pynput, which sees releases too, so push-to-talk is a real "hold to talk".
* Wayland: applications cannot watch the keyboard; the XDG desktop portal's
  ``org.freedesktop.portal.GlobalShortcuts`` interface (KDE Plasma, GNOME 48+, Hyprland)
  lets lkdesk register shortcuts the desktop then reports as Activated/Deactivated.
* Neither: :meth:`GlobalShortcuts.availability` says why, in words Settings shows.

Events arrive as ``on_event(name, pressed)`` with ``name`` one of :data:`NAMES`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
from collections.abc import Callable
from typing import Any

from lkdesk.session.model import Feature

logger = logging.getLogger(__name__)

PUSH_TO_TALK = "push_to_talk"
TOGGLE_MIC = "toggle_mic"
NAMES = {PUSH_TO_TALK: "Push to talk (hold)", TOGGLE_MIC: "Mute / unmute"}
PORTAL = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"
REQUEST = "org.freedesktop.portal.Request"
CALL_TIMEOUT_S = 5.0


def _wayland() -> bool:
    return sys.platform.startswith("linux") and (
        os.environ.get("XDG_SESSION_TYPE") == "wayland"
        or (bool(os.environ.get("WAYLAND_DISPLAY")) and not os.environ.get("DISPLAY"))
    )


class GlobalShortcuts:
    """One backend, chosen by :meth:`start`; ``keys`` maps names to Qt key text ("F9")."""

    def __init__(self, keys: dict[str, str], on_event: Callable[[str, bool], None]) -> None:
        self.keys = {name: text for name, text in keys.items() if text}
        self._on_event = on_event
        self._backend: Any = None
        self.how = ""  # "x11" or "portal" once started

    @staticmethod
    async def availability() -> Feature:
        """Whether global shortcuts work here; the reason says how or why not."""
        if _wayland():
            if await _portal_version() > 0:
                return Feature(True, "Through the desktop's global shortcuts portal.")
            return Feature(
                False,
                "This Wayland desktop offers no global shortcuts portal, so lkdesk cannot "
                "hear keys while another application has the focus. The shortcuts work "
                "while lkdesk's window is active.",
            )
        problem = await asyncio.to_thread(_x11_problem)  # loads lkdesk.media and pynput
        if problem is not None:
            return Feature(False, f"Global shortcuts are not available: {problem}")
        return Feature(True, "They work in every application.")

    async def start(self) -> None:
        """Start listening; raises NotAvailableError (with the reason) when nothing can."""
        from lkdesk.session.errors import NotAvailableError

        feature = await self.availability()
        if not feature.available:
            raise NotAvailableError(feature.reason)
        if _wayland():
            portal = PortalShortcuts(self.keys, self._on_event)
            await portal.start()
            self._backend, self.how = portal, "portal"
            return
        from lkdesk.media.hotkeys import DesktopKeys, parse_combo

        combos = {n: c for n, text in self.keys.items() if (c := parse_combo(text)) is not None}
        keys = DesktopKeys(combos, self._on_event)
        keys.start()
        self._backend, self.how = keys, "x11"

    async def aclose(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            await backend.aclose()


async def _portal_version() -> int:
    """The GlobalShortcuts portal's version on the session bus, 0 when there is none."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return 0
    try:
        from jeepney import DBusAddress, MessageType, Properties
        from jeepney.io.asyncio import open_dbus_router

        async with asyncio.timeout(CALL_TIMEOUT_S), open_dbus_router(bus="SESSION") as router:
            address = DBusAddress(PORTAL_PATH, bus_name=PORTAL, interface=SHORTCUTS)
            reply = await router.send_and_get_reply(Properties(address).get("version"))
            if reply.header.message_type is MessageType.error:
                return 0
            return int(reply.body[0][1])
    except (OSError, TimeoutError, ImportError, ValueError):
        return 0


class PortalShortcuts:
    """The XDG GlobalShortcuts portal: a session, our shortcuts bound, signals heard."""

    def __init__(self, keys: dict[str, str], on_event: Callable[[str, bool], None]) -> None:
        self._keys = keys
        self._on_event = on_event
        self._cm: Any = None
        self._router: Any = None
        self._session = ""
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        from jeepney import DBusAddress, MatchRule, new_method_call
        from jeepney.bus_messages import message_bus
        from jeepney.io.asyncio import open_dbus_router

        self._cm = open_dbus_router(bus="SESSION")
        self._router = router = await self._cm.__aenter__()
        portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL, interface=SHORTCUTS)
        signals = MatchRule(type="signal", interface=SHORTCUTS, path=PORTAL_PATH)
        await router.send_and_get_reply(message_bus.AddMatch(signals))
        token = "lkdesk" + secrets.token_hex(4)
        results = await self._request(
            new_method_call(
                portal,
                "CreateSession",
                "a{sv}",
                ({"handle_token": ("s", token), "session_handle_token": ("s", token)},),
            ),
            token,
        )
        self._session = str(results["session_handle"][1])
        shortcuts = [
            (name, {"description": ("s", NAMES[name]), "preferred_trigger": ("s", key)})
            for name, key in self._keys.items()
        ]
        bind_token = "lkdesk" + secrets.token_hex(4)
        options = {"handle_token": ("s", bind_token)}
        await self._request(
            new_method_call(
                portal, "BindShortcuts", "oa(sa{sv})sa{sv}", (self._session, shortcuts, "", options)
            ),
            bind_token,
        )
        queue = router.filter(signals, queue=asyncio.Queue()).queue
        self._listener = asyncio.get_running_loop().create_task(self._listen(queue))
        logger.info("global shortcuts bound through the portal")

    async def _request(self, call: Any, token: str) -> dict[str, Any]:
        """Call a portal method and wait for its Request's Response signal."""
        from jeepney import MatchRule, MessageType
        from jeepney.bus_messages import message_bus

        router = self._router
        sender = router.unique_name.lstrip(":").replace(".", "_")
        path = f"{PORTAL_PATH}/request/{sender}/{token}"
        rule = MatchRule(type="signal", interface=REQUEST, member="Response", path=path)
        await router.send_and_get_reply(message_bus.AddMatch(rule))
        with router.filter(rule, queue=asyncio.Queue()) as queue:
            async with asyncio.timeout(CALL_TIMEOUT_S):
                reply = await router.send_and_get_reply(call)
                if reply.header.message_type is MessageType.error:
                    raise OSError(f"the portal refused: {reply.body}")
                response = await queue.get()
        code, results = response.body
        if code != 0:
            raise OSError("the desktop did not allow the shortcuts")
        return dict(results)

    async def _listen(self, queue: asyncio.Queue[Any]) -> None:
        while True:
            message = await queue.get()
            member = message.header.fields.get(3)  # HeaderFields.member
            session, name = message.body[0], message.body[1]
            if session == self._session and member in ("Activated", "Deactivated"):
                self._on_event(str(name), member == "Activated")

    async def aclose(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        cm, self._cm, self._router = self._cm, None, None
        if cm is not None:
            with contextlib.suppress(OSError, RuntimeError):
                await cm.__aexit__(None, None, None)


def _x11_problem() -> str | None:
    """lkdesk.media.hotkeys.x11_problem, imported and run off the event loop: the import
    loads the media stack and pynput, which takes long enough to stall a call joining."""
    from lkdesk.media.hotkeys import x11_problem

    return x11_problem()

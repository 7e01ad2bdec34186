"""Desktop notifications for chat: which messages deserve one, and the freedesktop service.

A message that arrives while lkdesk's window is in the background is easy to miss; the
desktop's notification service shows it where the user is looking. On Linux that is
``org.freedesktop.Notifications`` on the session bus (GNOME, KDE, dunst, mako …), spoken to
here with jeepney (pure Python, already used by the keyring). Elsewhere, or when no service
owns that name, :meth:`DesktopNotifier.notify` returns False and the UI shows the message
through its tray icon instead. Notification text is never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

from lkdesk.session.model import ChatEntry

logger = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
APP_NAME = "lkdesk"
BODY_LIMIT = 300
CALL_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class ChatNotification:
    """What to show for one message; ``mention`` when it names the user."""

    summary: str
    body: str
    mention: bool


def mentions(text: str, names: tuple[str, ...]) -> bool:
    """Whether ``text`` names the user (any of ``names`` as a whole word, any case, or @name)."""
    for name in names:
        name = name.strip()
        if len(name) < 2:
            continue
        words = [re.escape(name)] + [re.escape(part) for part in name.split() if len(part) > 2]
        pattern = r"(?<![\w])@?(?:" + "|".join(words) + r")(?![\w])"
        if re.search(pattern, text, re.IGNORECASE):
            return True
    return False


def chat_notification(
    entry: ChatEntry, room: str, names: tuple[str, ...], *, mentions_only: bool = False
) -> ChatNotification | None:
    """The notification for a newly arrived message, or None when it should not show one."""
    if entry.is_local:
        return None
    if entry.attachment is not None:
        text = f"sent a file: {entry.attachment.file_name}"
    else:
        text = entry.text.strip()
    if not text:
        return None
    mention = entry.attachment is None and mentions(text, names)
    if mentions_only and not mention:
        return None
    if len(text) > BODY_LIMIT:
        text = text[: BODY_LIMIT - 1] + "…"
    verb = "mentioned you" if mention else "wrote"
    return ChatNotification(f"{entry.sender_name} {verb} in {room}", text, mention)


class DesktopNotifier:
    """Sends notifications to the freedesktop service; one bus connection, opened lazily."""

    def __init__(self) -> None:
        self._router: Any = None
        self._router_cm: Any = None
        self._ids: dict[str, int] = {}  # a room's last notification, replaced by the next
        self._broken = not sys.platform.startswith("linux")

    @staticmethod
    def bus_present() -> bool:
        return sys.platform.startswith("linux") and bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))

    async def notify(self, note: ChatNotification, group: str = "") -> bool:
        """Show ``note``; False when no notification service took it (use another way)."""
        if self._broken or not self.bus_present():
            return False
        try:
            router = await self._connect()
            from jeepney import DBusAddress, new_method_call

            address = DBusAddress(PATH, bus_name=SERVICE, interface=SERVICE)
            hints = {"urgency": ("y", 2 if note.mention else 1), "category": ("s", "im.received")}
            message = new_method_call(
                address,
                "Notify",
                "susssasa{sv}i",
                (
                    APP_NAME,
                    self._ids.get(group, 0),
                    "lkdesk",
                    note.summary,
                    note.body,
                    [],
                    hints,
                    -1,
                ),
            )
            reply = await _within(router.send_and_get_reply(message), CALL_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            logger.info("no desktop notification service: %s", type(exc).__name__)
            await self.aclose()
            return False
        from jeepney import MessageType

        if reply.header.message_type is MessageType.error:
            logger.info("the notification service refused a notification")
            return False
        if group:
            self._ids[group] = int(reply.body[0])
        return True

    async def _connect(self) -> Any:
        if self._router is None:
            from jeepney.io.asyncio import open_dbus_router

            self._router_cm = open_dbus_router(bus="SESSION")
            self._router = await _within(self._router_cm.__aenter__(), CALL_TIMEOUT_S)
        return self._router

    async def aclose(self) -> None:
        """Close the bus connection (a later notification opens a new one)."""
        cm, self._router_cm, self._router = self._router_cm, None, None
        if cm is not None:
            with contextlib.suppress(OSError, RuntimeError):
                await cm.__aexit__(None, None, None)


async def _within(awaitable: Any, seconds: float) -> Any:
    async with asyncio.timeout(seconds):
        return await awaitable

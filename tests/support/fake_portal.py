"""A stand-in for the XDG desktop portal's GlobalShortcuts interface, for tests.

    python -m tests.support.fake_portal OUT.json

Owns ``org.freedesktop.portal.Desktop`` on the session bus and answers as the documented
interface does (version 1): ``CreateSession`` and ``BindShortcuts`` return a Request path
and then emit that Request's ``Response``. Once shortcuts are bound it writes them to
OUT.json and, like a user holding the first shortcut's key, emits ``Activated`` then, half
a second later, ``Deactivated`` for it. Prints "ready" once the name is owned.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from jeepney import DBusAddress, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.portal.Desktop"
PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"


def request_path(sender: str, token: str) -> str:
    return f"{PATH}/request/{sender.lstrip(':').replace('.', '_')}/{token}"


def main() -> int:
    out = Path(sys.argv[1])
    conn = open_dbus_connection(bus="SESSION")
    if conn.send_and_get_reply(message_bus.RequestName(NAME, 4)).body[0] != 1:
        return 1
    print("ready", flush=True)
    session = ""
    while True:
        msg = conn.receive()
        if msg.header.message_type is not MessageType.method_call:
            continue
        fields = msg.header.fields
        member, sender = fields.get(3), str(fields.get(7))  # HeaderFields: member, sender
        if member == "Get":  # org.freedesktop.DBus.Properties
            interface, prop = msg.body
            if interface == SHORTCUTS and prop == "version":
                conn.send(new_method_return(msg, "v", (("u", 1),)))
            else:
                conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownProperty"))
        elif member == "CreateSession":
            options = msg.body[0]
            path = request_path(sender, options["handle_token"][1])
            session = f"{PATH}/session/{options['session_handle_token'][1]}"
            conn.send(new_method_return(msg, "o", (path,)))
            time.sleep(0.05)
            request = DBusAddress(path, interface="org.freedesktop.portal.Request")
            results = {"session_handle": ("s", session)}
            conn.send(new_signal(request, "Response", "ua{sv}", (0, results)))
        elif member == "BindShortcuts":
            handle, shortcuts, _parent, options = msg.body
            path = request_path(sender, options["handle_token"][1])
            conn.send(new_method_return(msg, "o", (path,)))
            bound = {sid: props["preferred_trigger"][1] for sid, props in shortcuts}
            out.write_text(json.dumps({"session": handle, "shortcuts": bound}))
            time.sleep(0.05)
            request = DBusAddress(path, interface="org.freedesktop.portal.Request")
            conn.send(new_signal(request, "Response", "ua{sv}", (0, {})))
            first = shortcuts[0][0]
            portal = DBusAddress(PATH, interface=SHORTCUTS)
            for member_out in ("Activated", "Deactivated"):
                time.sleep(0.5)
                conn.send(new_signal(portal, member_out, "osta{sv}", (session, first, 1, {})))
        else:
            conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))


if __name__ == "__main__":
    sys.exit(main())

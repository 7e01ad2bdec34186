"""A freedesktop notification service that records what it receives (for tests).

    python -m tests.support.notification_recorder OUT.jsonl

Owns ``org.freedesktop.Notifications`` on the session bus (the sandbox's private one),
answers ``Notify`` with increasing ids, and appends one JSON line per notification:
app name, replaces id, summary, body, hints (urgency) and the id it answered. Prints
"ready" on stdout once the name is owned. Stops on SIGTERM.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jeepney import MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.Notifications"


def main() -> int:
    out = Path(sys.argv[1])
    conn = open_dbus_connection(bus="SESSION")
    reply = conn.send_and_get_reply(message_bus.RequestName(NAME, 4))  # DO_NOT_QUEUE
    if reply.body[0] != 1:
        print(f"could not own {NAME}: {reply.body}", file=sys.stderr)
        return 1
    print("ready", flush=True)
    next_id = 1
    while True:
        msg = conn.receive()
        if msg.header.message_type is not MessageType.method_call:
            continue
        member = msg.header.fields.get(3)  # HeaderFields.member
        if member == "Notify":
            app, replaces, _icon, summary, body, _actions, hints, _timeout = msg.body
            answer = replaces or next_id
            next_id += 1
            record = {
                "app": app,
                "replaces": replaces,
                "summary": summary,
                "body": body,
                "urgency": hints.get("urgency", ("y", 1))[1],
                "id": answer,
            }
            with out.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
            conn.send(new_method_return(msg, "u", (answer,)))
        elif member == "GetCapabilities":
            conn.send(new_method_return(msg, "as", (["body"],)))
        elif member == "GetServerInformation":
            conn.send(new_method_return(msg, "ssss", ("recorder", "lkdesk-tests", "1", "1.2")))
        else:
            conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))


if __name__ == "__main__":
    sys.exit(main())

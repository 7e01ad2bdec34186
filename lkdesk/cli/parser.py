"""The command line's grammar: ``lkdesk join|rooms|token|check …`` with ``--help`` on each.

Credentials come from options or, as LiveKit's own ``lk`` tool reads them, from
``LIVEKIT_URL``, ``LIVEKIT_API_KEY`` and ``LIVEKIT_API_SECRET``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

COMMANDS = ("join", "rooms", "token", "check")

EXIT_CODES = """exit status:
  0    done
  1    the action failed (the last line on stderr says why and what to do)
  2    wrong usage (missing or invalid options)
  130  interrupted (Ctrl+C)

Progress goes to stderr; results (tokens, room lists, reports) to stdout."""


def _env(name: str) -> str:
    return os.environ.get(name, "")


def _credentials(parser: argparse.ArgumentParser, *, url: bool) -> None:
    if url:
        parser.add_argument(
            "--url", default=_env("LIVEKIT_URL"), help="server URL (default: $LIVEKIT_URL)"
        )
    parser.add_argument(
        "--api-key", default=_env("LIVEKIT_API_KEY"), help="API key (default: $LIVEKIT_API_KEY)"
    )
    parser.add_argument(
        "--api-secret",
        default=_env("LIVEKIT_API_SECRET"),
        help="API secret (default: $LIVEKIT_API_SECRET)",
    )


def _sub(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str
) -> argparse.ArgumentParser:
    return subs.add_parser(
        name,
        help=text,
        description=text,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lkdesk",
        description="lkdesk on the command line, for scripts and bots. Without a command, "
        '"lkdesk [LINK]" opens the app.',
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    subs = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    join = _sub(subs, "join", "Join a room without a window: publish a file, record, say.")
    join.add_argument("url", help="server URL, e.g. wss://example.livekit.cloud")
    join.add_argument("--token", default="", help="access token to join with")
    _credentials(join, url=False)
    join.add_argument("--room", default="", help="room to join (with --api-key)")
    join.add_argument("--identity", default="", help="identity to join as (with --api-key)")
    join.add_argument("--publish-file", type=Path, help="publish this clip's video and audio")
    join.add_argument("--record", type=Path, metavar="DIR", help="record everyone else to DIR")
    join.add_argument("--say", default="", metavar="TEXT", help="send TEXT to the chat")
    join.add_argument(
        "--duration", type=float, metavar="SECONDS", help="leave after SECONDS (default: ^C)"
    )
    join.add_argument("--trust-ca", type=Path, metavar="PEM", help="also trust this CA")

    rooms = _sub(subs, "rooms", "List, create or delete rooms (RoomService).")
    rooms_subs = rooms.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = _sub(rooms_subs, "list", "List active rooms with their participants.")
    listing.add_argument("--json", action="store_true", help="print JSON")
    create = _sub(rooms_subs, "create", "Create a room.")
    create.add_argument("name")
    create.add_argument("--empty-timeout", type=int, metavar="SECONDS")
    create.add_argument("--max-participants", type=int, metavar="N")
    delete = _sub(rooms_subs, "delete", "Delete a room, disconnecting everyone in it.")
    delete.add_argument("name")
    for sub in (listing, create, delete):
        _credentials(sub, url=True)
        sub.add_argument("--token", default="", help="an admin token instead of a key")
        sub.add_argument("--trust-ca", type=Path, metavar="PEM", help="also trust this CA")

    token = _sub(subs, "token", "Make access tokens.")
    token_subs = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    mint = _sub(token_subs, "mint", "Mint a join token (printed on stdout).")
    mint.add_argument("--room", required=True)
    mint.add_argument("--identity", required=True)
    mint.add_argument("--name", default="", help="display name")
    mint.add_argument("--admin", action="store_true", help="grant roomAdmin and roomList")
    mint.add_argument("--ttl", default="6h", help="lifetime: 90s, 30m, 6h, 2d (default 6h)")
    _credentials(mint, url=False)

    check = _sub(subs, "check", "Check the network between here and a server.")
    check.add_argument("url", help="server URL")
    check.add_argument("--token", default="", help="token to join a room with")
    _credentials(check, url=False)
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument("--trust-ca", type=Path, metavar="PEM", help="also trust this CA")
    return parser

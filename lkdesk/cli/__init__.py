"""lkdesk's command line, for scripts and bots, on the same session layer as the app.

``lkdesk join|rooms|token|check …`` runs here with no Qt at all; ``lkdesk [LINK]`` still
opens the app (:func:`is_command` tells the two apart). Progress and errors go to stderr,
results to stdout, and the exit status says how it went (see ``lkdesk --help``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import re
import signal
import sys
import warnings
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from lkdesk.cli.parser import COMMANDS, build_parser
from lkdesk.core.errors import LkdeskError
from lkdesk.session import InvalidTargetError, SessionError, TokenTarget, read_ca_file
from lkdesk.session.targets import (
    ApiKeyTarget,
    Credentials,
    check_trusted_ca,
    check_url,
    resolve_api_key,
    resolve_token,
)

logger = logging.getLogger("lkdesk.cli")

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130


def is_command(argv: list[str]) -> bool:
    """Whether ``argv`` asks for a command-line command (not the app)."""
    first = next((a for a in argv if not a.startswith("-")), "")
    return first in COMMANDS


def progress(text: str) -> None:
    print(f"lkdesk: {text}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    """Run one command; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with 2 on wrong usage
    # a --dev server's secret is short; PyJWT's warning about it is no news on a terminal
    warnings.filterwarnings("ignore", message="The HMAC key is")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return asyncio.run(_interruptible(_dispatch(args)))
    except KeyboardInterrupt:
        progress("interrupted")
        return INTERRUPTED
    except InvalidTargetError as exc:
        progress(str(exc))
        return USAGE
    except (LkdeskError, OSError) as exc:
        progress(str(exc))
        return FAILED


async def _interruptible(work: Coroutine[Any, Any, int]) -> int:
    """Run ``work``; SIGINT/SIGTERM cancel it, so a call leaves and recordings are finished."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        stopped = True
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows has no signal handlers on the loop: KeyboardInterrupt instead
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    try:
        return await task
    except asyncio.CancelledError:
        if stopped:
            progress("stopped")
            return INTERRUPTED
        raise


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "join":
        return await _join(args)
    if args.command == "rooms":
        return await _rooms(args)
    if args.command == "token":
        return _mint(args)
    return await _check(args)


async def _trust_pem(args: argparse.Namespace) -> str:
    path = getattr(args, "trust_ca", None)
    return (await read_ca_file(path)).pem if path else ""


async def _credentials(args: argparse.Namespace, url: str, room: str = "") -> Credentials:
    pem = await _trust_pem(args)
    if args.token:
        return resolve_token(TokenTarget(url, args.token, pem))
    if not (args.api_key and args.api_secret):
        raise InvalidTargetError("token", "Give --token, or --api-key and --api-secret.")
    if room:
        name = getattr(args, "identity", "") or "lkdesk-cli"
        target = ApiKeyTarget(url, args.api_key, args.api_secret, room, name, pem)
        return resolve_api_key(target)
    from lkdesk.session.network_check import check_credentials

    creds = check_credentials(check_url(url), args.api_key, args.api_secret)
    return dataclasses.replace(creds, trust=check_trusted_ca(pem))


async def _join(args: argparse.Namespace) -> int:
    from lkdesk.session.headless import HeadlessCall, HeadlessOptions  # the media stack

    if not args.token and not args.room:
        raise InvalidTargetError("room", "Give --token, or --api-key, --api-secret and --room.")
    credentials = await _credentials(args, args.url, args.room)
    options = HeadlessOptions(
        publish_file=args.publish_file,
        record_dir=args.record,
        say=args.say,
        duration_s=args.duration,
    )
    recordings = await HeadlessCall(credentials, options, progress).run()
    for recording in recordings:
        print(recording.path)
    return OK


async def _rooms(args: argparse.Namespace) -> int:
    from lkdesk.session.console import console_for_url

    if not args.url:
        raise InvalidTargetError("url", "Give --url (or set LIVEKIT_URL).")
    console = console_for_url(args.url, args.api_key, args.api_secret, args.token)
    console.trust = check_trusted_ca(await _trust_pem(args))
    try:
        if args.action == "list":
            views = await console.rooms()
            if args.json:
                print(json.dumps([_room_json(v) for v in views], indent=2))
            for view in [] if args.json else views:
                r = view.room
                print(f"{r.name}\t{r.num_participants} participant(s)")
                for p in view.participants:
                    tracks = ", ".join(
                        f"{t.source or t.kind}{' (muted)' * t.muted}" for t in p.tracks
                    )
                    print(f"  {p.identity}\t{p.name}\t{tracks}")
            progress(f"{len(views)} active room(s) on {console.url}")
        elif args.action == "create":
            room = await console.create_room(
                args.name, empty_timeout=args.empty_timeout, max_participants=args.max_participants
            )
            print(room.name)
            progress(f"room {room.name} is ready")
        else:
            await console.delete_room(args.name)
            progress(f"room {args.name} deleted")
    finally:
        await console.aclose()
    return OK


def _room_json(view: Any) -> dict[str, Any]:
    r = view.room
    return {
        "name": r.name,
        "sid": r.sid,
        "num_participants": r.num_participants,
        "participants": [
            {
                "identity": p.identity,
                "name": p.name,
                "tracks": [
                    {"sid": t.sid, "kind": t.kind, "source": t.source, "muted": t.muted}
                    for t in p.tracks
                ],
            }
            for p in view.participants
        ],
    }


_TTL = re.compile(r"^(\d+)\s*([smhd]?)$")


def _mint(args: argparse.Namespace) -> int:
    from lkdesk.session.console import mint_join_token

    match = _TTL.match(args.ttl.strip())
    if match is None:
        raise InvalidTargetError("ttl", f"--ttl {args.ttl}: use e.g. 90s, 30m, 6h or 2d.")
    unit = {"s": 1, "": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    if not (args.api_key and args.api_secret):
        raise InvalidTargetError(
            "api_key", "Give --api-key and --api-secret (or LIVEKIT_API_KEY/LIVEKIT_API_SECRET)."
        )
    token = mint_join_token(
        args.api_key,
        args.api_secret,
        room=args.room,
        identity=args.identity,
        name=args.name,
        admin=args.admin,
        ttl=timedelta(seconds=int(match.group(1)) * unit),
    )
    print(token)
    return OK


async def _check(args: argparse.Namespace) -> int:
    from lkdesk.session.network_check import NetworkCheck, StepState

    credentials = await _credentials(args, args.url)
    symbols = {StepState.PASS: "ok", StepState.WARN: "warning", StepState.FAIL: "FAILED"}

    def show(step: Any) -> None:
        if step.state is not StepState.SKIPPED:
            progress(f"{step.title}: {symbols[step.state]} - {step.detail}")

    report = await NetworkCheck(credentials, show).run()
    if args.json:
        rows = [dataclasses.asdict(s) | {"title": s.title} for s in report.steps]
        print(json.dumps(rows, indent=2, default=str))
    else:
        for step in report.steps:
            print(f"{step.title}: {step.state.value}: {step.detail}")
            if step.advice and step.state is not StepState.PASS:
                print(f"    What to do: {step.advice}")
    failed = report.failed
    if failed is not None:
        progress(f"the check failed at: {failed.title}")
        return FAILED
    return OK


__all__ = ["SessionError", "is_command", "main"]

"""RoomAdmin without a LiveKit server: argument checks, unreachable/timeout, translation."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from livekit import api as lkapi
from livekit.api.twirp_client import ServerError

from lkdesk.admin import (
    AdminServerError,
    AdminTimeoutError,
    AdminUnreachableError,
    InvalidCredentialsError,
    InvalidRequestError,
    MissingGrantError,
    NotFoundError,
    RoomAdmin,
    UnsupportedByServerError,
)
from lkdesk.admin.translate import Call, Context, translate

SECRET = "admin-secret-" + "z" * 32


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # nothing listens once the socket is closed


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        held.append(w)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for w in held:
        w.close()
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize("url", ["", "localhost:7880", "ftp://h", "https://u:p@h.example"])
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidRequestError, match="URL"):
        RoomAdmin.with_api_key(url, "k", SECRET)


def test_credentials_must_be_key_pair_xor_token() -> None:
    with pytest.raises(InvalidRequestError, match="either"):
        RoomAdmin("http://h.example")
    with pytest.raises(InvalidRequestError, match="not both"):
        RoomAdmin("http://h.example", api_key="k", api_secret=SECRET, token="t")


def test_repr_shows_no_secret_or_token() -> None:
    assert SECRET not in repr(RoomAdmin.with_api_key("http://h.example", "key", SECRET))
    assert "tok.en.x" not in repr(RoomAdmin.with_token("http://h.example", "tok.en.x"))


async def test_closed_port_is_reported_unreachable() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    async with RoomAdmin.with_api_key(url, "key", SECRET, timeout=5) as admin:
        with pytest.raises(AdminUnreachableError, match="Cannot reach") as caught:
            await admin.list_rooms()
    assert url in str(caught.value)
    assert SECRET not in str(caught.value)


async def test_silent_server_times_out(silent_server: int) -> None:
    url = f"http://127.0.0.1:{silent_server}"
    started = time.monotonic()
    async with RoomAdmin.with_token(url, "a.b.c", timeout=0.5) as admin:
        with pytest.raises(AdminTimeoutError, match=r"within 0.5 s"):
            await admin.create_room("r")
    assert time.monotonic() - started < 3


async def test_closed_admin_refuses_calls() -> None:
    admin = RoomAdmin.with_api_key("http://127.0.0.1:1", "key", SECRET)
    await admin.aclose()
    await admin.aclose()
    with pytest.raises(InvalidRequestError, match="closed"):
        await admin.list_rooms()


ADMIN_CALL = Call(
    "MutePublishedTrack", "mute a track", "roomAdmin", "r1", "participant 'bob' in room 'r1'"
)
KEY_CTX = Context("http://h.example", 10.0, None, (SECRET,))


@pytest.mark.parametrize(
    ("error", "expected", "words"),
    [
        (ServerError("unknown", "", status=401), InvalidCredentialsError, "API key or secret"),
        (
            ServerError("unauthenticated", "permissions denied", status=401),
            MissingGrantError,
            "roomAdmin grant for room 'r1'",
        ),
        (ServerError("permission_denied", "", status=403), MissingGrantError, "roomAdmin"),
        (
            ServerError("not_found", "participant does not exist", status=404),
            NotFoundError,
            "participant 'bob' in room 'r1' does not exist",
        ),
        (
            ServerError("not_found", "requested room does not exist", status=404),
            NotFoundError,
            "room 'r1' does not exist",
        ),
        (
            ServerError("unavailable", "twirp error unknown: no response from servers", status=503),
            NotFoundError,
            "is not connected",
        ),
        (ServerError("unimplemented", "", status=501), UnsupportedByServerError, "too old"),
        (
            ServerError("bad_route", "no handler", status=404),
            UnsupportedByServerError,
            "does not support MutePublishedTrack",
        ),
        (
            ServerError("unknown", "twirp error unknown: not implemented", status=500),
            UnsupportedByServerError,
            "LiveKit Cloud",
        ),
        (
            ServerError("invalid_argument", "metadata too large", status=400),
            InvalidRequestError,
            "metadata too large",
        ),
        (ServerError("unknown", "", status=404), AdminServerError, "not like a LiveKit"),
        (ServerError("internal", f"boom {SECRET}", status=500), AdminServerError, "redacted"),
    ],
)
def test_server_errors_are_translated(error: ServerError, expected: type, words: str) -> None:
    translated = translate(error, ADMIN_CALL, KEY_CTX)
    assert type(translated) is expected
    assert words in str(translated)
    assert SECRET not in str(translated)


def test_missing_grant_names_the_grant_and_room() -> None:
    err = translate(
        ServerError("unauthenticated", "permissions denied", status=401),
        Call("ListRooms", "list rooms", "roomList"),
        KEY_CTX,
    )
    assert isinstance(err, MissingGrantError)
    assert (err.grant, err.room) == ("roomList", "")


def test_missing_destination_grant_is_named_from_the_token() -> None:
    token = (
        lkapi.AccessToken("k", SECRET)
        .with_grants(lkapi.VideoGrants(room_admin=True, room="r1"))
        .to_jwt()
    )
    call = Call("MoveParticipant", "move 'bob'", "roomAdmin", "r1", "participant 'bob'", "r2")
    err = translate(
        ServerError("unauthenticated", "permissions denied", status=401),
        call,
        Context("http://h.example", 10.0, token, (token,)),
    )
    assert isinstance(err, MissingGrantError)
    assert (err.grant, err.room) == ("destinationRoom", "r2")
    assert token not in str(err)


def test_expired_token_is_named_expired() -> None:
    token = (
        lkapi.AccessToken("k", SECRET)
        .with_ttl(timedelta(minutes=-5))
        .with_grants(lkapi.VideoGrants(room_list=True))
        .to_jwt()
    )
    err = translate(
        ServerError("unknown", "", status=401),
        Call("ListRooms", "list", "roomList"),
        Context("http://h.example", 10.0, token, (token,)),
    )
    assert isinstance(err, InvalidCredentialsError)
    assert "expired" in str(err) and token not in str(err)

"""connect() turns every kind of bad input into a documented error within 10 s."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from livekit import api
from websockets.asyncio.server import ServerConnection, serve

from lkdesk import rtc
from lkdesk.core import errors
from tests.integration.livekit_server import LiveKitServer

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def websocket_impostor() -> AsyncIterator[str]:
    """A WebSocket server that accepts any path and answers with non-LiveKit bytes."""

    async def handler(connection: ServerConnection) -> None:
        await connection.send(b"\xff\x00 definitely not protobuf \x00")
        await asyncio.sleep(30)

    async with serve(handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def http_impostor() -> AsyncIterator[str]:
    """A plain web server that answers every request with an HTML page."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<html></html>"
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _expect(url: str, token: str, kind: type[errors.ConnectError], words: str) -> None:
    room = rtc.Room()
    started = time.monotonic()
    with pytest.raises(kind) as caught:
        await room.connect(url, token, rtc.RoomOptions(join_timeout_s=8))
    assert time.monotonic() - started < 10
    assert words.lower() in str(caught.value).lower(), str(caught.value)
    assert token not in str(caught.value)
    assert room.connection_state == rtc.ConnectionState.CONN_DISCONNECTED
    await asyncio.sleep(0)
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("lkdesk-")]


def _token(server: LiveKitServer, room: str, *, secret: str | None = None, **grants: object) -> str:
    video = {"room_join": True, "room": room, **grants}
    return (
        api.AccessToken(server.api_key, secret or server.api_secret)
        .with_identity("lk")
        .with_grants(api.VideoGrants(**video))  # type: ignore[arg-type]
        .to_jwt()
    )


async def test_malformed_url(livekit_server: LiveKitServer, room_name: str) -> None:
    await _expect(
        "ftp://nowhere", livekit_server.token("lk", room_name), errors.InvalidUrlError, "scheme"
    )


async def test_nothing_listening(livekit_server: LiveKitServer, room_name: str) -> None:
    url = f"ws://127.0.0.1:{_closed_port()}"
    await _expect(
        url, livekit_server.token("lk", room_name), errors.ServerUnreachableError, "refused"
    )


async def test_unreachable_host(livekit_server: LiveKitServer, room_name: str) -> None:
    # 10.77.0.2 is inside the test's own network namespace and has no host behind it.
    token = livekit_server.token("lk", room_name)
    await _expect("ws://10.77.0.2:7880", token, errors.ServerUnreachableError, "reach")


async def test_token_signed_with_wrong_secret(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    token = _token(livekit_server, room_name, secret="not-the-secret")
    await _expect(livekit_server.ws_url, token, errors.AuthenticationError, "secret")


async def test_expired_token(livekit_server: LiveKitServer, room_name: str) -> None:
    token = livekit_server.token("lk", room_name, ttl=timedelta(minutes=-5))
    await _expect(livekit_server.ws_url, token, errors.AuthenticationError, "expired")


async def test_token_without_join_grant(livekit_server: LiveKitServer, room_name: str) -> None:
    token = _token(livekit_server, room_name, room_join=False)
    await _expect(livekit_server.ws_url, token, errors.PermissionDeniedError, "join")


async def test_malformed_token(livekit_server: LiveKitServer) -> None:
    await _expect(livekit_server.ws_url, "not-a-jwt", errors.AuthenticationError, "token")


async def test_websocket_server_that_is_not_livekit(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    async with websocket_impostor() as url:
        await _expect(
            url, livekit_server.token("lk", room_name), errors.NotLiveKitServerError, "LiveKit"
        )


async def test_web_server_that_is_not_livekit(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    async with http_impostor() as url:
        await _expect(
            url, livekit_server.token("lk", room_name), errors.NotLiveKitServerError, "LiveKit"
        )

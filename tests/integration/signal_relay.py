"""A scripted signalling peer in front of the real server: relays, and can inject messages.

lkdesk connects to the relay as if it were the server; the relay opens the same URL (path,
query, Authorization header) on the real server and copies every frame both ways. A test
can then inject a server message the real server never sends (the open-source server
answers RoomService.MoveParticipant with "not implemented", so it never sends RoomMoved),
while media keeps flowing between lkdesk and the real server. With ``without_v1`` it plays
a server older than ``/rtc/v1`` (LiveKit < 1.9.10): that path gets Go's plain 404.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from livekit.protocol import rtc as proto_rtc
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response


class SignalRelay:
    """One relayed signalling connection at :attr:`url` (ws://127.0.0.1:<port>)."""

    def __init__(self, upstream: str, *, without_v1: bool = False) -> None:
        self._upstream = upstream.rstrip("/")
        self._without_v1 = without_v1
        self.paths: list[str] = []  # every request's path (and query), refused or relayed
        self.url = ""
        self._client: ServerConnection | None = None
        self._lock = asyncio.Lock()  # injected and relayed frames never interleave
        self.connected = asyncio.Event()
        self.to_client: list[str] = []  # kinds of the server messages relayed, in order
        self.from_client: list[bytes] = []  # lkdesk's frames as relayed, in order

    async def inject(self, message: proto_rtc.SignalResponse) -> None:
        """Send ``message`` to lkdesk as if the server had sent it."""
        await asyncio.wait_for(self.connected.wait(), 10)
        assert self._client is not None
        async with self._lock:
            await self._client.send(message.SerializeToString())

    def _screen(self, _connection: ServerConnection, request: Request) -> Response | None:
        self.paths.append(request.path)
        if self._without_v1 and request.path.startswith("/rtc/v1"):
            return Response(404, "Not Found", Headers(), b"404 page not found\n")
        return None

    async def _handle(self, client: ServerConnection) -> None:
        path = client.request.path if client.request is not None else "/"
        auth = client.request.headers.get("Authorization", "") if client.request else ""
        async with connect(
            self._upstream + path,
            additional_headers={"Authorization": auth},
            max_size=None,
            compression=None,
            proxy=None,
        ) as server:
            self._client = client
            self.connected.set()
            up = asyncio.create_task(self._pump(client, server))
            down = asyncio.create_task(self._pump_down(server, client))
            _done, pending = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _pump(self, source: ServerConnection, sink: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in source:
                if isinstance(frame, bytes):
                    self.from_client.append(frame)
                await sink.send(frame)

    async def _pump_down(self, source: ClientConnection, sink: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in source:
                if isinstance(frame, bytes):
                    kind = proto_rtc.SignalResponse.FromString(frame).WhichOneof("message")
                    self.to_client.append(kind or "")
                async with self._lock:
                    await sink.send(frame)


@contextlib.asynccontextmanager
async def signal_relay(
    upstream_ws_url: str, *, without_v1: bool = False
) -> AsyncIterator[SignalRelay]:
    relay = SignalRelay(upstream_ws_url, without_v1=without_v1)
    async with serve(
        relay._handle,
        "127.0.0.1",
        0,
        max_size=None,
        compression=None,
        process_request=relay._screen,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        relay.url = f"ws://127.0.0.1:{port}"
        yield relay

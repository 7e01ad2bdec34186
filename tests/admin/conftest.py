"""Fixtures for the RoomService tests: the real server from tests/integration, peers, admin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import pytest

from lkdesk.admin import RoomAdmin
from tests.integration.conftest import livekit_server, room_name
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer

__all__ = ["admin", "join", "livekit_server", "room_name"]


@pytest.fixture
async def admin(livekit_server: LiveKitServer) -> AsyncIterator[RoomAdmin]:
    """A RoomAdmin with the server's API key and secret."""
    async with RoomAdmin.with_api_key(
        livekit_server.http_url, livekit_server.api_key, livekit_server.api_secret
    ) as room_admin:
        yield room_admin


class Joiner:
    """Makes official-SDK peers join ``room_name`` with ICE kept inside the namespace."""

    def __init__(self, server: LiveKitServer, room: str) -> None:
        self.server = server
        self.room = room

    def __call__(
        self,
        identity: str,
        *,
        token: str | None = None,
        auto_subscribe: bool = True,
        room: str | None = None,
    ) -> AbstractAsyncContextManager[SdkPeer]:
        token = token or self.server.token(identity, room or self.room)
        return SdkPeer(
            self.server.ws_url,
            token,
            ice_servers=[self.server.stun_url],
            auto_subscribe=auto_subscribe,
        )


@pytest.fixture
def join(livekit_server: LiveKitServer, room_name: str) -> Joiner:
    """``async with join("alice") as alice:`` — an SdkPeer in this test's room."""
    return Joiner(livekit_server, room_name)

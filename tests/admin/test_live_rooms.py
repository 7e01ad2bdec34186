"""Rooms and tokens against the real LiveKit server, observed by official-SDK peers."""

from __future__ import annotations

import pytest
from livekit import rtc

from lkdesk.admin import RoomAdmin
from lkdesk.auth import ApiCredentials, TokenGrants, decode_token, mint_token
from tests.admin.conftest import Joiner
from tests.admin.live_helpers import event, eventually
from tests.integration.livekit_server import LiveKitServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]


async def test_minted_token_joins_the_real_server(
    livekit_server: LiveKitServer, room_name: str, admin: RoomAdmin, join: Joiner
) -> None:
    creds = ApiCredentials(livekit_server.api_key, livekit_server.api_secret)
    token = mint_token(
        creds,
        identity="minted",
        name="Minted One",
        metadata="m1",
        attributes={"team": "blue"},
        grants=TokenGrants(room=room_name, room_join=True),
    )
    info = decode_token(token)
    assert (info.identity, info.room, info.api_key) == ("minted", room_name, "devkey")
    async with join("minted", token=token) as peer:
        assert peer.room.isconnected()
        assert peer.room.local_participant.name == "Minted One"
        seen = await admin.get_participant(room_name, "minted")
    assert (seen.name, seen.metadata, dict(seen.attributes)) == (
        "Minted One",
        "m1",
        {"team": "blue"},
    )


async def test_created_rooms_are_listed_with_their_settings_then_deleted(
    room_name: str, admin: RoomAdmin, join: Joiner
) -> None:
    created = await admin.create_room(
        room_name, empty_timeout=120, max_participants=1, metadata="created by lkdesk"
    )
    (listed,) = await admin.list_rooms([room_name])
    assert (listed.sid, listed.empty_timeout, listed.max_participants, listed.metadata) == (
        created.sid,
        120,
        1,
        "created by lkdesk",
    )
    assert room_name in {r.name for r in await admin.list_rooms()}

    async with join("first") as first:
        assert first.room.metadata == "created by lkdesk"
        (busy,) = await eventually(
            lambda: admin.list_rooms([room_name]), lambda rooms: rooms[0].num_participants == 1
        )
        assert busy.num_participants == 1
        with pytest.raises(rtc.ConnectError):  # max_participants=1 holds
            async with join("second"):
                pass

        await admin.delete_room(room_name)
        await event(first, "disconnected")
    assert await eventually(lambda: admin.list_rooms([room_name]), lambda r: not r) == ()


async def test_room_metadata_change_reaches_the_peer(
    room_name: str, admin: RoomAdmin, join: Joiner
) -> None:
    async with join("watcher") as watcher:
        updated = await admin.update_room_metadata(room_name, "topic: retro")
        old, new = await event(watcher, "room_metadata_changed")
    assert (old, new, updated.metadata) == ("", "topic: retro", "topic: retro")
    assert watcher.room.metadata == "topic: retro"


async def test_admin_accepts_the_websocket_url(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    async with RoomAdmin.with_api_key(
        livekit_server.ws_url, livekit_server.api_key, livekit_server.api_secret
    ) as admin:
        await admin.create_room(room_name)
        assert [r.name for r in await admin.list_rooms([room_name])] == [room_name]
        await admin.delete_room(room_name)

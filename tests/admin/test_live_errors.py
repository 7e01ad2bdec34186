"""Credentials, grants and missing things against the real server → documented errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from livekit import api as lkapi

from lkdesk.admin import (
    InvalidCredentialsError,
    MissingGrantError,
    NotFoundError,
    RoomAdmin,
)
from lkdesk.auth import ApiCredentials, TokenGrants, mint_token
from tests.admin.conftest import Joiner
from tests.admin.live_helpers import event
from tests.integration.livekit_server import LiveKitServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]


def _token(server: LiveKitServer, grants: TokenGrants) -> str:
    creds = ApiCredentials(server.api_key, server.api_secret)
    return mint_token(creds, identity="admin-ui", grants=grants)


async def test_token_with_each_grant_does_its_calls_and_names_what_is_missing(
    livekit_server: LiveKitServer, room_name: str, join: Joiner
) -> None:
    url = livekit_server.http_url
    create_token = _token(livekit_server, TokenGrants(room_create=True))
    async with RoomAdmin.with_token(url, create_token) as creator:
        assert (await creator.create_room(room_name, metadata="m0")).name == room_name
        with pytest.raises(MissingGrantError, match="roomList") as caught:
            await creator.list_rooms()
        assert caught.value.grant == "roomList"

    list_token = _token(livekit_server, TokenGrants(room_list=True))
    async with RoomAdmin.with_token(url, list_token) as lister:
        assert room_name in {r.name for r in await lister.list_rooms()}
        with pytest.raises(MissingGrantError) as caught:
            await lister.delete_room(room_name)
        assert caught.value.grant == "roomCreate"

    admin_token = _token(livekit_server, TokenGrants(room_admin=True, room=room_name))
    async with RoomAdmin.with_token(url, admin_token) as room_admin, join("alice") as alice:
        await room_admin.update_room_metadata(room_name, "set with a token")
        await event(alice, "room_metadata_changed")
        assert [p.identity for p in await room_admin.list_participants(room_name)] == ["alice"]
        with pytest.raises(
            MissingGrantError, match=f"roomAdmin grant for room 'other-{room_name}'"
        ) as caught:
            await room_admin.list_participants(f"other-{room_name}")
        assert (caught.value.grant, caught.value.room) == ("roomAdmin", f"other-{room_name}")
        with pytest.raises(MissingGrantError) as caught:
            await room_admin.move_participant(room_name, "alice", f"dest-{room_name}")
        assert (caught.value.grant, caught.value.room) == ("destinationRoom", f"dest-{room_name}")
        assert admin_token not in str(caught.value)

    join_only = livekit_server.token("joiner", room_name)
    async with RoomAdmin.with_token(url, join_only) as joiner:
        with pytest.raises(MissingGrantError, match="roomAdmin"):
            await joiner.remove_participant(room_name, "alice")


async def test_wrong_secret_unknown_key_and_bad_tokens_are_invalid_credentials(
    livekit_server: LiveKitServer,
) -> None:
    url = livekit_server.http_url
    wrong = "not-the-secret-" + "w" * 24
    async with RoomAdmin.with_api_key(url, livekit_server.api_key, wrong) as admin:
        with pytest.raises(InvalidCredentialsError, match="API key or secret") as caught:
            await admin.list_rooms()
        assert wrong not in str(caught.value)
    async with RoomAdmin.with_api_key(url, "no-such-key", wrong) as admin:
        with pytest.raises(InvalidCredentialsError):
            await admin.list_rooms()

    expired = (
        lkapi.AccessToken(livekit_server.api_key, livekit_server.api_secret)
        .with_ttl(timedelta(minutes=-5))
        .with_grants(lkapi.VideoGrants(room_list=True))
        .to_jwt()
    )
    async with RoomAdmin.with_token(url, expired) as admin:
        with pytest.raises(InvalidCredentialsError, match="expired"):
            await admin.list_rooms()
    async with RoomAdmin.with_token(url, "abc.def.ghi") as admin:
        with pytest.raises(InvalidCredentialsError, match="rejected the token"):
            await admin.list_rooms()


async def test_missing_rooms_and_participants_are_not_found(
    room_name: str, admin: RoomAdmin, join: Joiner
) -> None:
    with pytest.raises(NotFoundError, match="does not exist") as caught:
        await admin.delete_room(f"no-such-{room_name}")
    assert caught.value.what == f"room 'no-such-{room_name}'"
    async with join("alice"):
        with pytest.raises(NotFoundError) as caught:
            await admin.get_participant(room_name, "ghost")
        assert caught.value.what == f"participant 'ghost' in room '{room_name}'"
        with pytest.raises(NotFoundError, match="not connected"):
            await admin.mute_track(room_name, "ghost", "TR_nothing")

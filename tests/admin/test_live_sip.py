"""Dialling a phone into the room (SIP) against the real server, which has no SIP service."""

from __future__ import annotations

import pytest

from lkdesk.admin import InvalidRequestError, MissingGrantError, RoomAdmin, UnsupportedByServerError
from lkdesk.auth import ApiCredentials, TokenGrants, mint_token
from tests.integration.livekit_server import LiveKitServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]


async def test_dialling_on_a_server_without_sip_says_so(admin: RoomAdmin, room_name: str) -> None:
    with pytest.raises(UnsupportedByServerError) as caught:
        await admin.dial_phone(room_name, "+1 (555) 010-0199", "ST_abc123")
    message = str(caught.value)
    assert "no SIP service configured" in message and "+15550100199" in message
    assert caught.value.operation == "CreateSIPParticipant"
    assert admin._api_secret not in message


async def test_dialling_with_a_token_lacking_the_sip_grant_names_the_grant(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    creds = ApiCredentials(livekit_server.api_key, livekit_server.api_secret)
    token = mint_token(creds, identity="host", grants=TokenGrants(room_admin=True, room=room_name))
    async with RoomAdmin.with_token(livekit_server.http_url, token) as host:
        with pytest.raises(MissingGrantError, match=r"sip\.call") as caught:
            await host.dial_phone(room_name, "+15550100199", "ST_abc123")
    assert caught.value.grant == "sip.call" and token not in str(caught.value)


@pytest.mark.parametrize(
    ("number", "trunk", "words"),
    [("call me", "ST_x", "not a phone number"), ("+1555", "", "outbound SIP trunk")],
)
async def test_a_bad_number_or_missing_trunk_is_refused_before_calling(
    admin: RoomAdmin, number: str, trunk: str, words: str
) -> None:
    with pytest.raises(InvalidRequestError, match=words):
        await admin.dial_phone("room", number, trunk)

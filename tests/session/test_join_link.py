"""Meeting links: lkdesk://join and LiveKit Meet's /custom links, with clear errors."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest

from lkdesk.auth import ApiCredentials, TokenGrants, mint_token
from lkdesk.session import InvalidTargetError, looks_like_link, make_link, parse_link

CREDS = ApiCredentials("APIlink", "a-link-secret-that-is-long-enough-for-hs256")


def token(room: str = "standup") -> str:
    grants = TokenGrants(room=room, room_join=True)
    return mint_token(CREDS, identity="ana", grants=grants, name="Ana", ttl=timedelta(hours=1))


def test_lkdesk_link_gives_server_token_room_and_keeps_the_passphrase() -> None:
    link = parse_link(make_link("wss://lk.example.com", token()) + "#open%20sesame")
    assert link.url == "wss://lk.example.com"
    assert (link.room == "standup" and link.token == token()) or link.token.count(".") == 2
    assert link.passphrase == "open sesame"


def test_livekit_meet_custom_link_is_understood() -> None:
    text = (
        "https://meet.livekit.io/custom?liveKitUrl="
        + quote("wss://lk.example.com", safe="")
        + "&token="
        + token("design")
        + "&codec=vp9"
    )
    assert looks_like_link(text)
    link = parse_link(text)
    assert (link.url, link.room) == ("wss://lk.example.com", "design")


def test_room_only_link_is_accepted_for_a_saved_api_key_to_fill_in() -> None:
    link = parse_link("lkdesk://join?url=ws://localhost:7880&room=standup")
    assert (link.url, link.room, link.token) == ("ws://localhost:7880", "standup", "")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("lkdesk://call?url=ws://x:7880&room=a", "only 'join'"),
        ("lkdesk://join?room=a", "names no server"),
        ("lkdesk://join?url=localhost:7880&room=a", "The link's server"),
        ("lkdesk://join?url=ws://x:7880", "neither a token nor a room"),
        ("lkdesk://join?url=ws://x:7880&token=abc", "The link's token"),
        ("https://meet.livekit.io/rooms/abc-123", "LiveKit's own demo servers"),
        ("ftp://x?url=ws://x", "starts with lkdesk://"),
    ],
)
def test_bad_links_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InvalidTargetError) as caught:
        parse_link(text)
    assert caught.value.field == "link"
    assert says in str(caught.value)


def test_link_room_that_contradicts_its_token_is_refused() -> None:
    with pytest.raises(InvalidTargetError, match="token is for room 'standup'"):
        parse_link(make_link("ws://x:7880", token(), room="other"))


def test_plain_server_urls_are_not_links() -> None:
    assert not looks_like_link("wss://example.livekit.cloud")
    assert not looks_like_link("ws://localhost:7880")
    assert looks_like_link("LKDESK://join?url=ws://x")

"""Join targets are checked with messages that name the field and say what to do."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest

from lkdesk.auth import ApiCredentials, TokenGrants, decode_token, mint_token
from lkdesk.session import ApiKeyTarget, InvalidTargetError, TokenTarget, check_url, describe_token
from lkdesk.session.targets import resolve_api_key, resolve_token

CREDS = ApiCredentials("APIk", "a-test-secret-that-is-long-enough-for-hs256")


def make(ttl: timedelta = timedelta(hours=1), admin: bool = False, room: str = "r") -> str:
    grants = TokenGrants(room=room, room_join=True, room_admin=admin)
    return mint_token(CREDS, identity="alice", grants=grants, name="Alice", ttl=ttl)


@pytest.mark.parametrize("url", ["localhost:7880", "ftp://x", "wss://", "", "   "])
def test_bad_urls_name_the_url_field(url: str) -> None:
    with pytest.raises(InvalidTargetError) as info:
        check_url(url)
    assert info.value.field == "url"
    assert "ws" in str(info.value)


def test_good_urls_are_normalised() -> None:
    assert check_url(" wss://example.livekit.cloud/ ") == "wss://example.livekit.cloud"


def test_token_details_for_display() -> None:
    details = describe_token(make(admin=True))
    assert (details.identity, details.name, details.room) == ("alice", "Alice", "r")
    assert details.is_admin and not details.expired()
    assert details.expires_in_words().startswith("expires in 59 min")


def test_expired_and_roomless_tokens_are_refused() -> None:
    claims = {"sub": "alice", "exp": int(time.time()) - 60, "video": {"room": "r"}}
    expired = jwt.encode(claims, CREDS.api_secret, algorithm="HS256")
    with pytest.raises(InvalidTargetError, match="expired 1 min ago"):
        resolve_token(TokenTarget("wss://x.y", expired))
    roomless = jwt.encode(
        {"sub": "alice", "exp": int(time.time()) + 600, "video": {}},
        CREDS.api_secret,
        algorithm="HS256",
    )
    with pytest.raises(InvalidTargetError, match="names no room"):
        resolve_token(TokenTarget("wss://x.y", roomless))


def test_token_admin_rights_decide_admin_access() -> None:
    plain = resolve_token(TokenTarget("wss://x.y", make()))
    assert plain.admin is None and "roomAdmin" in plain.admin_reason
    host = resolve_token(TokenTarget("wss://x.y", make(admin=True)))
    assert host.admin is not None and host.admin.token


def test_api_key_target_mints_a_join_token_and_can_remint() -> None:
    creds = resolve_api_key(
        ApiKeyTarget(
            "ws://localhost:7880", "APIk", CREDS.api_secret, room="standup", display_name="Sam Lee"
        )
    )
    info = decode_token(creds.token)
    assert info.room == "standup" and info.name == "Sam Lee" and info.grants.room_join
    assert creds.identity.startswith("sam-lee-") and creds.admin is not None
    assert creds.remint is not None
    again = creds.remint("Samantha")
    assert decode_token(again.token).name == "Samantha"


@pytest.mark.parametrize(
    ("key", "secret", "room", "field"),
    [("", "s", "r", "api_key"), ("k", "", "r", "api_secret"), ("k", "s", " ", "room")],
)
def test_api_key_target_names_the_missing_field(
    key: str, secret: str, room: str, field: str
) -> None:
    with pytest.raises(InvalidTargetError) as info:
        resolve_api_key(ApiKeyTarget("ws://localhost:7880", key, secret, room=room))
    assert info.value.field == field

"""Token decode / expiry / mint, checked against livekit-api's own verifier."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from livekit import api as lkapi

from lkdesk.auth import (
    ApiCredentials,
    MalformedTokenError,
    TokenGrants,
    TokenMintError,
    decode_token,
    expires_within,
    is_expired,
    mint_token,
)

CREDS = ApiCredentials("APIkey123", "s3cret-" + "x" * 32)


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _raw_token(claims: object, header: object | None = None) -> str:
    return f"{_b64(header or {'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}.c2ln"


def test_minted_token_decodes_to_what_was_asked() -> None:
    grants = TokenGrants(
        room="standup",
        room_join=True,
        can_publish_sources=("microphone",),
        can_publish_data=False,
        hidden=True,
    )
    before = datetime.now(UTC)
    token = mint_token(
        CREDS,
        identity="ana",
        grants=grants,
        name="Ana",
        metadata='{"a":1}',
        attributes={"team": "blue"},
        ttl=timedelta(minutes=10),
    )
    info = decode_token(token)
    assert info.identity == "ana"
    assert info.name == "Ana"
    assert info.room == "standup"
    assert info.api_key == "APIkey123"
    assert info.metadata == '{"a":1}'
    assert dict(info.attributes) == {"team": "blue"}
    assert info.grants == grants
    assert before + timedelta(minutes=9) < info.expires_at <= before + timedelta(minutes=11)
    assert not info.is_expired()


def test_minted_token_verifies_with_the_secret() -> None:
    token = mint_token(CREDS, identity="bo", grants=TokenGrants(room_list=True))
    claims = lkapi.TokenVerifier(CREDS.api_key, CREDS.api_secret).verify(token)
    assert claims.identity == "bo"
    assert claims.video is not None and claims.video.room_list is True
    with pytest.raises(Exception, match="Signature"):
        lkapi.TokenVerifier(CREDS.api_key, "another-secret-" + "y" * 32).verify(token)


def test_absent_grants_take_the_server_defaults() -> None:
    info = decode_token(
        _raw_token({"sub": "x", "exp": 2_000_000_000, "video": {"room": "r", "canPublish": False}})
    )
    assert info.grants.can_subscribe is True
    assert info.grants.can_publish is False
    assert info.grants.can_publish_data is False  # defaults to canPublish
    assert info.grants.room_admin is False


def test_expiry_checks_use_the_given_clock() -> None:
    token = _raw_token({"sub": "x", "exp": 1_000_000})
    exp = datetime.fromtimestamp(1_000_000, UTC)
    assert is_expired(token, now=exp)
    assert not is_expired(token, now=exp - timedelta(seconds=1))
    assert expires_within(token, timedelta(minutes=5), now=exp - timedelta(minutes=4))
    assert not expires_within(token, timedelta(minutes=5), now=exp - timedelta(minutes=6))
    assert expires_within(decode_token(token), timedelta(0), now=exp)


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("", "3 dot-separated parts"),
        ("abc.def", "3 dot-separated parts"),
        ("a.b.c.d", "3 dot-separated parts"),
        ("!!!.???.sig", "base64url"),
        (
            f"{_b64({'alg': 'HS256'})}.{base64.urlsafe_b64encode(b'not json').decode()}.s",
            "base64url-encoded JSON",
        ),
        (f"{_b64({'alg': 'HS256'})}.{_b64([1, 2])}.s", "not an object"),
        (_raw_token({"sub": "x"}), "no expiry"),
        (_raw_token({"sub": "x", "exp": "tomorrow"}), "not a number"),
        (_raw_token({"sub": "x", "exp": 1, "video": []}), "video grant"),
        (_raw_token({"sub": "x", "exp": 1}, header={"typ": "JWT"}), "algorithm"),
    ],
)
def test_malformed_tokens_get_a_clear_error_without_the_token(token: str, words: str) -> None:
    with pytest.raises(MalformedTokenError, match=words) as caught:
        decode_token(token)
    if token:
        assert token not in str(caught.value)
        assert token not in repr(caught.value)
    assert caught.value.__cause__ is None


def test_mint_refuses_join_without_room_and_unknown_sources() -> None:
    with pytest.raises(TokenMintError, match="room must be set"):
        mint_token(CREDS, identity="x", grants=TokenGrants(room_join=True))
    with pytest.raises(TokenMintError, match="Unknown publish source"):
        mint_token(CREDS, identity="x", grants=TokenGrants(can_publish_sources=("webcam",)))
    with pytest.raises(TokenMintError, match="positive"):
        mint_token(CREDS, identity="x", grants=TokenGrants(), ttl=timedelta(0))


def test_mint_error_never_contains_the_secret() -> None:
    with pytest.raises(TokenMintError) as caught:
        mint_token(CREDS, identity="", grants=TokenGrants(room_join=True, room="r"))
    assert CREDS.api_secret not in str(caught.value)


@given(
    identity=st.text(min_size=1, max_size=40),
    metadata=st.text(max_size=200),
    room=st.text(max_size=40),
)
def test_mint_decode_round_trip_for_any_text(identity: str, metadata: str, room: str) -> None:
    token = mint_token(CREDS, identity=identity, metadata=metadata, grants=TokenGrants(room=room))
    info = decode_token(token)
    assert (info.identity, info.metadata, info.room) == (identity, metadata, room)

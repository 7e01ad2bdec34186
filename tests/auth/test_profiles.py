"""The profile model: validation, and secrets hidden from repr."""

from __future__ import annotations

import pytest

from lkdesk.auth import ApiCredentials, AuthKind, InvalidProfileError, Profile, SavedToken
from lkdesk.auth.profiles import TokenRef


def test_new_profile_normalises_url_and_label() -> None:
    p = Profile.new("  Local dev ", "http://localhost:7880/", AuthKind.API_KEY, api_key=" devkey ")
    assert (p.label, p.server_url, p.api_key) == ("Local dev", "http://localhost:7880", "devkey")
    assert len(p.id) == 32


@pytest.mark.parametrize(
    "url",
    [
        "",
        "localhost:7880",
        "ftp://x.example",
        "wss://",
        "https://u:pw@h.example",
        "https://h.example/?token=abc",
    ],
)
def test_unusable_urls_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(InvalidProfileError) as caught:
        Profile.new("x", url, AuthKind.TOKENS)
    assert "pw" not in str(caught.value) and "abc" not in str(caught.value)


def test_api_key_profile_needs_a_key_and_every_profile_a_label() -> None:
    with pytest.raises(InvalidProfileError, match="API key"):
        Profile.new("x", "wss://h.example", AuthKind.API_KEY)
    with pytest.raises(InvalidProfileError, match="label"):
        Profile.new(" ", "wss://h.example", AuthKind.TOKENS)


def test_secret_fields_are_not_in_repr() -> None:
    assert "hunter2" not in repr(ApiCredentials("key", "hunter2"))
    assert "eyJtoken" not in repr(SavedToken("room", "me", "eyJtoken"))


def test_token_refs_are_added_once_and_removed() -> None:
    p = Profile.new("x", "wss://h.example", AuthKind.TOKENS)
    ref = TokenRef("r", "me")
    assert p.with_token(ref).with_token(ref).tokens == (ref,)
    assert p.with_token(ref).without_token(ref).tokens == ()

"""Sans-I/O signalling: URL handling, error classification, fuzzed decoding."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk.core.errors import (
    AuthenticationError,
    InvalidUrlError,
    NotLiveKitServerError,
    PermissionDeniedError,
    RoomNotFoundError,
    SignalProtocolError,
)
from lkdesk.rtc.engine import signal_protocol as sp
from lkdesk.rtc.engine.connect_errors import error_for_http_status, scrub_secrets


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("https://example.livekit.cloud", "wss://example.livekit.cloud"),
        ("http://127.0.0.1:7880/", "ws://127.0.0.1:7880"),
        ("example.com", "wss://example.com"),
        ("wss://host:443/base/rtc", "wss://host:443/base"),
        ("  ws://[::1]:7880  ", "ws://[::1]:7880"),
    ],
)
def test_server_urls_are_normalized(typed: str, expected: str) -> None:
    assert sp.normalize_server_url(typed) == expected


@pytest.mark.parametrize("bad", ["", "ftp://x", "ws://", "wss://exa mple.com", "ws://h:99999"])
def test_malformed_urls_raise_invalid_url(bad: str) -> None:
    with pytest.raises(InvalidUrlError):
        sp.normalize_server_url(bad)


def test_join_url_carries_protocol_and_no_token() -> None:
    url = sp.build_join_url("http://h:1", sp.JoinParams())
    assert url.startswith("ws://h:1/rtc?")
    assert f"protocol={sp.PROTOCOL_VERSION}" in url
    assert "auto_subscribe=0" in url and "access_token" not in url


def test_join_url_announces_client_protocol_2_with_deflate_and_less_without() -> None:
    modern = sp.build_join_url("http://h:1", sp.JoinParams())
    assert "client_protocol=2" in modern and "capabilities=CAP_COMPRESSION_DEFLATE_RAW" in modern
    old = sp.build_join_url("http://h:1", sp.JoinParams(client_protocol=0))
    assert "client_protocol=0" in old and "capabilities" not in old


def test_token_is_scrubbed_from_server_messages() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhYmNkZWZnaCJ9.c2lnbmF0dXJlLXZhbHVl"
    body = f"invalid token: {token}, error: go-jose/go-jose: error in cryptographic primitive"
    error = error_for_http_status(401, body, token)
    assert token not in str(error)
    assert "<token>" in scrub_secrets(body)


@pytest.mark.parametrize(
    ("status", "body", "kind", "words"),
    [
        (401, "invalid token: x, error: token is expired (exp)", AuthenticationError, "expired"),
        (401, "invalid API key: foo", AuthenticationError, "API key"),
        (401, "invalid token: x, error: signature is invalid", AuthenticationError, "secret"),
        (401, "permissions denied", PermissionDeniedError, "roomJoin"),
        (404, "requested room does not exist", RoomNotFoundError, "does not exist"),
        (404, "<html>Not Found</html>", NotLiveKitServerError, "LiveKit server"),
    ],
)
def test_refused_joins_are_classified(status: int, body: str, kind: type, words: str) -> None:
    error = error_for_http_status(status, body, "tok")
    assert isinstance(error, kind)
    assert words in str(error)


def test_valid_response_decodes() -> None:
    message = proto_rtc.SignalResponse(
        join=proto_rtc.JoinResponse(room=proto_models.Room(name="r"), ping_interval=5)
    )
    decoded = sp.decode_response(message.SerializeToString())
    assert decoded.WhichOneof("message") == "join" and decoded.join.room.name == "r"


def test_text_frames_are_refused() -> None:
    with pytest.raises(SignalProtocolError):
        sp.decode_response('{"join": {}}')


def _valid_messages() -> list[bytes]:
    samples = [
        proto_rtc.SignalResponse(join=proto_rtc.JoinResponse(room=proto_models.Room(name="r"))),
        proto_rtc.SignalResponse(
            offer=proto_rtc.SessionDescription(type="offer", sdp="v=0\r\n", id=3)
        ),
        proto_rtc.SignalResponse(
            update=proto_rtc.ParticipantUpdate(
                participants=[proto_models.ParticipantInfo(sid="PA_1", identity="a")]
            )
        ),
        proto_rtc.SignalResponse(
            trickle=proto_rtc.TrickleRequest(candidateInit='{"candidate":"x"}')
        ),
    ]
    return [m.SerializeToString() for m in samples]


def _decode_cleanly(data: bytes) -> None:
    try:
        message = sp.decode_response(data)
    except SignalProtocolError:
        return
    assert message.WhichOneof("message") is not None


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=512))
def test_random_bytes_decode_or_fail_cleanly(data: bytes) -> None:
    _decode_cleanly(data)


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_valid_messages()),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=8),
    st.integers(0, 400),
)
def test_mutated_messages_decode_or_fail_cleanly(
    base: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(base)
    for position, value in flips:
        if data:
            data[position % len(data)] = value
    _decode_cleanly(bytes(data[: max(cut, 1)]))

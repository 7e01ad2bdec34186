"""Single-PC mode without a server: v1 join requests, the 404 fallback signal, and the
MediaSectionsRequirement message (scripted and fuzzed) against a real aiortc connection."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import logging
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from lkdesk.core.errors import RoomNotFoundError, SignalProtocolError
from lkdesk.rtc.engine import signal_protocol as sp
from lkdesk.rtc.engine import signal_v1
from lkdesk.rtc.engine.engine import RtcEngine
from lkdesk.rtc.engine.signal_client import SignalClient, V1Unavailable
from lkdesk.rtc.engine.single_pc import (
    INITIAL_AUDIO_SECTIONS,
    INITIAL_VIDEO_SECTIONS,
    MAX_RECEIVE_SECTIONS,
    SinglePeerConnection,
)

# ----- join requests -------------------------------------------------------------------------


def test_v1_url_carries_only_the_join_request() -> None:
    url = signal_v1.build_v1_join_url("https://h:1/base/rtc", sp.JoinParams(client_protocol=1))
    parts = urllib.parse.urlsplit(url)
    assert (parts.scheme, parts.path) == ("wss", "/base/rtc/v1")
    query = urllib.parse.parse_qs(parts.query)
    assert list(query) == ["join_request"]
    request = signal_v1.decode_join_request(query["join_request"][0])
    info = request.client_info
    assert info.sdk == proto_models.ClientInfo.PYTHON and info.protocol == sp.PROTOCOL_VERSION
    assert info.client_protocol == 1 and list(info.capabilities) == []
    assert not request.connection_settings.auto_subscribe and not request.reconnect


def test_resume_request_names_the_session_and_announces_deflate() -> None:
    params = sp.JoinParams(resume_sid="PA_x", reconnect_reason=1)
    request = signal_v1.join_request(params)
    assert (request.reconnect, request.participant_sid, request.reconnect_reason) == (
        True,
        "PA_x",
        1,
    )
    assert list(request.client_info.capabilities) == [
        proto_models.ClientInfo.CAP_COMPRESSION_DEFLATE_RAW
    ]


def test_large_requests_are_gzipped_and_round_trip() -> None:
    offer = proto_rtc.SessionDescription(type="offer", sdp="v=0\r\n" + "a=x\r\n" * 500, id=1)
    value = signal_v1.encode_join_request(signal_v1.join_request(sp.JoinParams(), offer))
    wrapped = proto_rtc.WrappedJoinRequest.FromString(base64.urlsafe_b64decode(value))
    assert wrapped.compression == proto_rtc.WrappedJoinRequest.GZIP
    assert signal_v1.decode_join_request(value).publisher_offer == offer


def test_gzip_bombs_and_garbage_are_protocol_errors() -> None:
    bomb = gzip.compress(b"\0" * (signal_v1.MAX_JOIN_REQUEST + 10))
    wrapped = proto_rtc.WrappedJoinRequest(
        compression=proto_rtc.WrappedJoinRequest.GZIP, join_request=bomb
    )
    value = base64.urlsafe_b64encode(wrapped.SerializeToString()).decode()
    with pytest.raises(SignalProtocolError, match="too large"):
        signal_v1.decode_join_request(value)
    for bad in ("%%%", "é", "AAAA", "CAI="):
        with pytest.raises(SignalProtocolError):
            signal_v1.decode_join_request(bad)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=300).map(lambda b: b.hex())))
def test_random_join_request_values_decode_or_fail_cleanly(value: str) -> None:
    with contextlib.suppress(SignalProtocolError):
        signal_v1.decode_join_request(value)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([0, 1, 7]))
def test_random_wrapped_payloads_decode_or_fail_cleanly(payload: bytes, compression: int) -> None:
    wrapped = proto_rtc.WrappedJoinRequest(join_request=payload)
    wrapped.compression = compression  # type: ignore[assignment]
    value = base64.urlsafe_b64encode(wrapped.SerializeToString()).decode()
    with contextlib.suppress(SignalProtocolError):
        signal_v1.decode_join_request(value)


# ----- the fallback signal ------------------------------------------------------------------


async def _refusing_server(body: str) -> tuple[Any, str, list[str]]:
    paths: list[str] = []

    def refuse(connection: ServerConnection, request: Request) -> Response:
        paths.append(request.path)
        return Response(404, "Not Found", Headers(), body.encode())

    async def never(_connection: ServerConnection) -> None:
        raise AssertionError("no upgrade expected")

    server = await serve(never, "127.0.0.1", 0, process_request=refuse)
    port = next(iter(server.sockets)).getsockname()[1]
    return server, f"ws://127.0.0.1:{port}", paths


@pytest.mark.parametrize(
    ("body", "single", "expected"),
    [
        ("404 page not found\n", True, V1Unavailable),
        ("requested room does not exist\n", True, RoomNotFoundError),
        ("404 page not found\n", False, Exception),  # v0: not a fallback case
    ],
)
async def test_a_404_means_no_v1_only_when_it_is_not_about_the_room(
    body: str, single: bool, expected: type[Exception]
) -> None:
    server, url, paths = await _refusing_server(body)
    try:
        with pytest.raises(expected) as raised:
            await SignalClient().join(
                url, "token", sp.JoinParams(single_peer_connection=single), join_timeout=5
            )
        if not single:
            assert not isinstance(raised.value, V1Unavailable)
        assert paths and paths[0].startswith("/rtc/v1?join_request=" if single else "/rtc?")
    finally:
        server.close()
        await server.wait_closed()


async def test_scripted_v1_server_reads_our_join_request() -> None:
    seen: list[proto_rtc.JoinRequest] = []

    async def behaviour(connection: ServerConnection) -> None:
        assert connection.request is not None
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(connection.request.path).query)
        seen.append(signal_v1.decode_join_request(query["join_request"][0]))
        join = proto_rtc.JoinResponse(participant=proto_models.ParticipantInfo(sid="PA_1"))
        await connection.send(proto_rtc.SignalResponse(join=join).SerializeToString())
        await connection.wait_closed()

    server = await serve(behaviour, "127.0.0.1", 0)
    port = next(iter(server.sockets)).getsockname()[1]
    client = SignalClient()
    try:
        join = await client.join(
            f"ws://127.0.0.1:{port}", "token", sp.JoinParams(single_peer_connection=True)
        )
        assert join.participant.sid == "PA_1"
        assert seen[0].client_info.sdk == proto_models.ClientInfo.PYTHON
    finally:
        await client.close(send_leave=False)
        server.close()
        await server.wait_closed()


# ----- MediaSectionsRequirement -------------------------------------------------------------


class _Counting(SinglePeerConnection):
    """A real single-PC connection that counts renegotiation requests instead of offering."""

    negotiations = 0

    def request_negotiation(self) -> None:
        self.negotiations += 1


def _engine_with_single() -> tuple[RtcEngine, _Counting]:
    async def nothing(*_: Any) -> None:
        return None

    engine = RtcEngine(
        listener=lambda _e: None,
        on_frame=lambda _s, _f: None,
        on_data=lambda _p: None,
        restore=nothing,
        closed=nothing,
        sync_state=proto_rtc.SyncState,
    )
    single = _Counting(
        [],
        force_relay=False,
        send_signal=lambda _r: None,
        on_frame=lambda _s, _f: None,
        on_bound=lambda _c: None,
        on_state=lambda _s: None,
        on_failed=lambda _w: None,
    )
    engine._single = engine._publisher = single
    return engine, single


def _receive_lines(single: SinglePeerConnection) -> dict[str, int]:
    kinds = {"audio": 0, "video": 0}
    for transceiver in single._pc.getTransceivers():
        if transceiver.direction == "recvonly":
            kinds[transceiver.kind] += 1
    return kinds


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


async def _route_all(frames: list[bytes]) -> tuple[dict[str, int], int, list[str]]:
    errors = _ErrorLog()
    logging.getLogger("lkdesk").addHandler(errors)
    engine, single = _engine_with_single()
    try:
        for frame in frames:
            try:
                message = sp.decode_response(frame)
            except SignalProtocolError:
                continue
            await engine._router.route(message)
        return _receive_lines(single), single.negotiations, errors.messages
    finally:
        await single.close()
        logging.getLogger("lkdesk").removeHandler(errors)


def _requirement(audios: int, videos: int) -> bytes:
    requirement = proto_rtc.MediaSectionsRequirement(num_audios=audios, num_videos=videos)
    return proto_rtc.SignalResponse(media_sections_requirement=requirement).SerializeToString()


async def test_requirement_adds_receive_lines_and_asks_for_an_offer() -> None:
    lines, negotiations, errors = await _route_all([_requirement(2, 1), _requirement(0, 0)])
    assert lines == {"audio": INITIAL_AUDIO_SECTIONS + 2, "video": INITIAL_VIDEO_SECTIONS + 1}
    assert negotiations == 2 and errors == []  # {0, 0}: the server filled a free line


async def test_absurd_requirements_are_clamped() -> None:
    huge = _requirement(2**32 - 1, 2**32 - 1)
    lines, negotiations, errors = await _route_all([huge] * 20)
    assert sum(lines.values()) == MAX_RECEIVE_SECTIONS and negotiations == 20 and errors == []


async def test_requirement_outside_single_pc_mode_is_dropped() -> None:
    engine, single = _engine_with_single()
    engine._single = None
    try:
        await engine._router.route(sp.decode_response(_requirement(1, 1)))
        assert _receive_lines(single) == {
            "audio": INITIAL_AUDIO_SECTIONS,
            "video": INITIAL_VIDEO_SECTIONS,
        }
    finally:
        await single.close()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from([_requirement(1, 2), _requirement(300, 7)]),
            st.lists(st.tuples(st.integers(0, 40), st.integers(0, 255)), max_size=4),
            st.integers(1, 40),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_requirements_apply_or_drop(
    loop: asyncio.AbstractEventLoop, mutations: list[tuple[bytes, list[tuple[int, int]], int]]
) -> None:
    frames = []
    for base, flips, cut in mutations:
        data = bytearray(base)
        for position, value in flips:
            data[position % len(data)] = value
        frames.append(bytes(data[:cut]))
    lines, _negotiations, errors = loop.run_until_complete(_route_all(frames))
    assert errors == [] and sum(lines.values()) <= MAX_RECEIVE_SECTIONS

"""Fuzzed data packets (streams v1/v2, RPC v1/v2) never escape the room's data handling.

Random and mutated bytes go through the receive path a data channel message takes
(``DataTransport._on_message`` → ``RoomData.on_packet``) with handlers registered, so the
streams start and RPC requests are served. Every malformed packet must be dropped or end
its stream with an error: the last-resort guard in ``RoomData.on_packet`` must never be
needed, and every task started must finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from livekit.protocol import models as proto_models

from lkdesk.rtc import data_streams as ds
from lkdesk.rtc.data import PeerFeatures, RoomData
from lkdesk.rtc.engine.data_transport import DataTransport


class StubTransport:
    """Takes what the room sends (acks, RPC answers) and forgets it."""

    def __init__(self) -> None:
        self.sent: list[proto_models.DataPacket] = []

    async def send(self, packet: proto_models.DataPacket, *, reliable: bool) -> None:
        self.sent.append(packet)


class GuardHits(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _deflate(data: bytes) -> bytes:
    return ds.deflate_raw(data)


def _samples() -> list[bytes]:
    header = ds.new_header(
        topic="t",
        mime_type="text/plain",
        total_length=6,
        attributes={"k": "v"},
        stream_id="S1",
        text=proto_models.DataStream.TextHeader(),
    )
    inline = proto_models.DataStream.Header()
    inline.CopyFrom(header)
    inline.stream_id = "S2"
    inline.inline_content = _deflate(b"inline")
    inline.compression = proto_models.DataStream.DEFLATE_RAW
    rpc_header = ds.new_header(
        topic="lk.rpc_request",
        mime_type="text/plain",
        total_length=2,
        attributes={
            "lk.rpc_request_id": "R1",
            "lk.rpc_request_method": "echo",
            "lk.rpc_request_response_timeout_ms": "1000",
            "lk.rpc_request_version": "2",
        },
        stream_id="S3",
        text=proto_models.DataStream.TextHeader(),
    )
    rpc_header.inline_content = b"hi"
    packed = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = packed.compress(b"chunked!") + packed.flush()
    samples = [
        proto_models.DataPacket(stream_header=header),
        proto_models.DataPacket(
            stream_chunk=proto_models.DataStream.Chunk(stream_id="S1", chunk_index=0, content=body)
        ),
        proto_models.DataPacket(stream_trailer=proto_models.DataStream.Trailer(stream_id="S1")),
        proto_models.DataPacket(stream_header=inline),
        proto_models.DataPacket(stream_header=rpc_header),
        proto_models.DataPacket(
            rpc_request=proto_models.RpcRequest(id="R2", method="echo", payload="x", version=1)
        ),
        proto_models.DataPacket(rpc_ack=proto_models.RpcAck(request_id="R2")),
        proto_models.DataPacket(
            rpc_response=proto_models.RpcResponse(request_id="R2", payload="y")
        ),
    ]
    for packet in samples:
        packet.participant_identity = "peer"
    return [p.SerializeToString() for p in samples]


SAMPLES = _samples()


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


async def _feed(frames: list[bytes]) -> list[str]:
    guard = GuardHits()
    logging.getLogger("lkdesk.rtc.data").addHandler(guard)
    data = RoomData(
        StubTransport(),  # type: ignore[arg-type]
        can_publish_data=lambda: True,
        emit=lambda *args: None,
        participant_for=lambda identity: None,
        features_of=lambda identity: PeerFeatures(2, True),
        everyone=lambda: ["peer"],
        own_client_protocol=lambda: 2,
    )
    data.register_rpc_method("echo", lambda call: call.payload)

    async def read(reader: object, sender: str) -> None:
        with contextlib.suppress(ConnectionError):  # a bad stream: what a handler sees
            await reader.read_all()  # type: ignore[attr-defined]

    data.streams.register_text("t", read)
    transport = DataTransport(lambda: asyncio.sleep(0), data.on_packet)  # type: ignore[arg-type,return-value]
    try:
        for frame in frames:
            transport._on_message(frame)
        for _ in range(5):
            await asyncio.sleep(0)
        await data.close()
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert not leftover, leftover
    finally:
        logging.getLogger("lkdesk.rtc.data").removeHandler(guard)
    return guard.messages


def test_valid_v2_packets_are_served_without_the_guard(loop: asyncio.AbstractEventLoop) -> None:
    assert loop.run_until_complete(_feed(SAMPLES)) == []


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(SAMPLES),
            st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=6),
            st.integers(1, 400),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_mutated_data_packets_are_dropped_or_fail_their_stream(
    loop: asyncio.AbstractEventLoop, mutations: list[tuple[bytes, list[tuple[int, int]], int]]
) -> None:
    frames = []
    for base, flips, cut in mutations:
        data = bytearray(base)
        for position, value in flips:
            data[position % len(data)] = value
        frames.append(bytes(data[:cut]))
    assert loop.run_until_complete(_feed(frames)) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=5))
def test_random_bytes_on_the_data_channel_are_dropped(
    loop: asyncio.AbstractEventLoop, frames: list[bytes]
) -> None:
    assert loop.run_until_complete(_feed(frames)) == []

"""Data streams v1/v2 sent by ``send_whole`` and read back by ``IncomingStreams``, no network.

The real peers (SDK, browser) are in tests/integration/test_rtc_data_v2.py and
tests/browser/test_data_v2_with_browser.py. The tests named "scripted" feed malformed
streams no real peer or server produces (gaps, bombs, corrupt deflate) to show each ends as
an error on the reader, never as an exception in the room's loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import zlib

import pytest
from livekit.protocol import models as proto_models

from lkdesk.rtc import data_streams as ds
from lkdesk.rtc.stream_receive import IncomingStreams, StreamError, TextStreamReader

V2 = ds.StreamFormat(v2=True, deflate=True)
V2_PLAIN = ds.StreamFormat(v2=True, deflate=False)


class Wire:
    """Collects sent packets; replays them into a receiver as the server would."""

    def __init__(self) -> None:
        self.packets: list[proto_models.DataPacket] = []

    async def send(self, packet: proto_models.DataPacket) -> None:
        self.packets.append(packet)

    def kinds(self) -> list[str]:
        return [p.WhichOneof("value") or "" for p in self.packets]


def text_header(size: int, topic: str = "t") -> ds.Header:
    return ds.new_header(
        topic=topic,
        mime_type="text/plain",
        total_length=size,
        attributes={"a": "1"},
        text=proto_models.DataStream.TextHeader(),
    )


async def receive_text(packets: list[proto_models.DataPacket]) -> str:
    """Feed packets to a receiver and read the one text stream they carry."""
    incoming = IncomingStreams()
    result: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def handler(reader: TextStreamReader, sender: str) -> None:
        try:
            result.set_result(await reader.read_all())
        except StreamError as exc:
            result.set_exception(exc)

    incoming.register_text("t", handler)
    for packet in packets:
        packet.participant_identity = "peer"
        assert incoming.on_packet(packet)
    try:
        async with asyncio.timeout(5):
            return await result
    finally:
        await incoming.close()


async def send(text: str, fmt: ds.StreamFormat, *, inline: bool = True) -> tuple[Wire, str]:
    wire = Wire()
    data = text.encode()
    how = await ds.send_whole(wire.send, text_header(len(data)), [], data, fmt, inline=inline)
    return wire, how


@pytest.mark.parametrize(
    ("text", "fmt", "how", "kinds"),
    [
        ("abc", V2, "inline", ["stream_header"]),  # deflate would grow it: sent plain
        ("la " * 4000, V2, "inline", ["stream_header"]),  # 12 kB that deflates well
        ("", V2, "inline", ["stream_header"]),
        ("abc", ds.V1_FORMAT, "chunked", ["stream_header", "stream_chunk", "stream_trailer"]),
        ("", ds.V1_FORMAT, "chunked", ["stream_header", "stream_trailer"]),
    ],
)
async def test_small_texts_take_the_format_the_recipients_decode(
    text: str, fmt: ds.StreamFormat, how: str, kinds: list[str]
) -> None:
    wire, sent_as = await send(text, fmt)
    assert (sent_as, wire.kinds()) == (how, kinds)
    header = wire.packets[0].stream_header
    assert header.total_length == len(text.encode())
    assert header.HasField("inline_content") == (how == "inline")
    assert await receive_text(wire.packets) == text


async def test_a_text_that_deflates_into_one_packet_is_sent_inline_and_deflated() -> None:
    text = "lkdesk " * 10_000  # 70 kB
    wire, how = await send(text, V2)
    header = wire.packets[0].stream_header
    assert (how, wire.kinds()) == ("inline", ["stream_header"])
    assert header.compression == proto_models.DataStream.DEFLATE_RAW
    assert len(header.inline_content) < 1000
    assert await receive_text(wire.packets) == text


async def test_a_large_text_is_deflated_in_chunks_and_arrives_identical() -> None:
    text = "".join(f"{i}: é€😀 {i * 7919 % 104729}\n" for i in range(40_000))  # ~1 MB
    wire, how = await send(text, V2)
    header = wire.packets[0].stream_header
    assert how == "deflated" and header.compression == proto_models.DataStream.DEFLATE_RAW
    chunks = [p.stream_chunk for p in wire.packets if p.HasField("stream_chunk")]
    assert [c.chunk_index for c in chunks] == list(range(len(chunks)))
    assert all(len(c.content) <= ds.CHUNK_BYTES for c in chunks)
    got = await receive_text(wire.packets)
    assert hashlib.sha256(got.encode()).digest() == hashlib.sha256(text.encode()).digest()


async def test_v2_without_deflate_and_with_attachments_never_inlines_or_deflates() -> None:
    wire, how = await send("x" * 20_000, V2_PLAIN)
    assert how == "chunked" and wire.packets[0].stream_header.compression == 0
    wire, how = await send("abc", V2, inline=False)
    assert how == "chunked" and wire.kinds()[0] == "stream_header"
    assert await receive_text(wire.packets) == "abc"


async def test_multibyte_text_in_v1_chunks_is_split_on_character_boundaries() -> None:
    text = "aé€😀" * 10_000
    wire, _ = await send(text, ds.V1_FORMAT)
    for packet in wire.packets:
        if packet.HasField("stream_chunk"):
            packet.stream_chunk.content.decode("utf-8")  # each chunk decodes on its own
    assert await receive_text(wire.packets) == text


async def test_incompressible_bytes_are_sent_plain_even_when_deflate_is_allowed() -> None:
    wire = Wire()
    payload = os.urandom(50_000)
    header = ds.new_header(
        topic="b",
        mime_type="application/octet-stream",
        total_length=len(payload),
        attributes=None,
        byte=proto_models.DataStream.ByteHeader(name="x"),
    )
    how = await ds.send_whole(wire.send, header, [], payload, V2)
    assert how == "chunked" and wire.packets[0].stream_header.compression == 0


# ----- malformed streams, scripted (no real peer sends these) -------------------------------


def header_packet(**fields: object) -> proto_models.DataPacket:
    header = text_header(10)
    for name, value in fields.items():
        setattr(header, name, value)
    return proto_models.DataPacket(stream_header=header)


def chunk(stream_id: str, index: int, content: bytes) -> proto_models.DataPacket:
    return proto_models.DataPacket(
        stream_chunk=proto_models.DataStream.Chunk(
            stream_id=stream_id, chunk_index=index, content=content
        )
    )


def trailer(stream_id: str, reason: str = "") -> proto_models.DataPacket:
    return proto_models.DataPacket(
        stream_trailer=proto_models.DataStream.Trailer(stream_id=stream_id, reason=reason)
    )


async def test_scripted_gap_in_chunks_ends_the_stream_with_an_error() -> None:
    head = header_packet()
    sid = head.stream_header.stream_id
    with pytest.raises(StreamError, match="never arrived"):
        await receive_text([head, chunk(sid, 0, b"a"), chunk(sid, 2, b"c"), trailer(sid)])


async def test_scripted_duplicate_chunks_are_dropped() -> None:
    head = header_packet()
    sid = head.stream_header.stream_id
    packets = [head, chunk(sid, 0, b"a"), chunk(sid, 0, b"a"), chunk(sid, 1, b"b"), trailer(sid)]
    assert await receive_text(packets) == "ab"


async def test_scripted_abnormal_trailer_is_an_error_for_the_reader() -> None:
    head = header_packet()
    sid = head.stream_header.stream_id
    with pytest.raises(StreamError, match="sender ended the stream: aborted"):
        await receive_text([head, chunk(sid, 0, b"a"), trailer(sid, "aborted")])


async def test_scripted_corrupt_deflate_inline_is_an_error_not_a_crash() -> None:
    packet = header_packet(inline_content=b"\xff\xfe not deflate", compression=1)
    with pytest.raises(StreamError, match="undecodable"):
        await receive_text([packet])


async def test_scripted_deflate_bomb_is_stopped_at_the_ceiling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lkdesk.rtc import stream_receive

    monkeypatch.setattr(stream_receive, "MAX_INFLATED_BYTES", 1 << 20)
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = bomb.compress(b"\0" * (8 << 20)) + bomb.flush()
    assert len(packed) < ds.CHUNK_BYTES
    with pytest.raises(StreamError, match="beyond"):
        await receive_text([header_packet(inline_content=packed, compression=1)])


async def test_scripted_unknown_compression_is_ignored() -> None:
    incoming = IncomingStreams()
    started: list[str] = []
    incoming.register_text("t", lambda reader, sender: started.append(sender))
    assert incoming.on_packet(header_packet(inline_content=b"x", compression=7))
    await asyncio.sleep(0)
    assert started == []
    await incoming.close()

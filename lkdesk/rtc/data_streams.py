"""Sending LiveKit text and byte streams, v1 and v2 (PROTOCOL_NOTES §5.3).

v1: a header, chunks of at most 15 000 bytes, a trailer. Writers split text only on UTF-8
character boundaries. Data streams v2 (client protocol 2) adds two things a sender may use
only when every recipient can decode them: a payload that fits in one packet rides in the
header (``inline_content``), and a payload may be raw-deflated (``compression``, only when
every recipient also announced ``CAP_COMPRESSION_DEFLATE_RAW``). Incremental writers never
compress; a whole payload known up front (:func:`send_whole`, files) may. Deflating is
CPU work (about 70 ms per MB of text here), so larger payloads are deflated off the loop.
Receiving is in ``stream_receive.py``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from livekit.protocol import models as proto_models

CHUNK_BYTES = 15_000
#: Payloads above this are deflated in a worker thread (~2 ms of CPU on the loop at most).
DEFLATE_ON_LOOP_BYTES = 32 * 1024
Header = proto_models.DataStream.Header
SendPacket = Callable[[proto_models.DataPacket], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class TextStreamInfo:
    """What a text stream's header said (``stream_id`` doubles as a chat message id)."""

    stream_id: str
    topic: str
    timestamp: int
    mime_type: str = "text/plain"
    size: int | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    reply_to_id: str = ""
    attached_stream_ids: tuple[str, ...] = ()
    generated: bool = False


@dataclass(frozen=True, slots=True)
class ByteStreamInfo:
    """What a byte stream's header said."""

    stream_id: str
    topic: str
    timestamp: int
    name: str
    mime_type: str = "application/octet-stream"
    size: int | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StreamFormat:
    """What every recipient of a stream can decode: ``v2`` (inline), ``deflate`` (and raw
    deflate). An empty room counts as able, as in livekit-client."""

    v2: bool = False
    deflate: bool = False


V1_FORMAT = StreamFormat()


def split_utf8(text: str, limit: int = CHUNK_BYTES) -> list[bytes]:
    """UTF-8 chunks of at most ``limit`` bytes that never split a character."""
    return split_utf8_bytes(text.encode("utf-8"), limit)


def split_utf8_bytes(data: bytes, limit: int = CHUNK_BYTES) -> list[bytes]:
    """Chunks of UTF-8 ``data`` of at most ``limit`` bytes that never split a character."""
    chunks: list[bytes] = []
    start = 0
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1  # back off to the first byte of the character
        chunks.append(data[start:end])
        start = end
    return chunks


class _StreamWriter:
    """Shared machinery: header on open, numbered chunks, trailer on close."""

    def __init__(self, send: SendPacket, header: Header, destinations: list[str]) -> None:
        self._send = send
        self._header = header
        self._destinations = destinations
        self._index = 0
        self._opened = False
        self._closed = False
        self.bytes_sent = 0

    @property
    def stream_id(self) -> str:
        return self._header.stream_id

    def _packet(self, **value: Any) -> proto_models.DataPacket:
        return proto_models.DataPacket(destination_identities=self._destinations, **value)

    async def _open(self) -> None:
        if not self._opened:
            self._opened = True
            await self._send(self._packet(stream_header=self._header))

    async def _write_bytes(self, data: bytes) -> None:
        if self._closed:
            raise RuntimeError("stream already closed")
        await self._open()
        for start in range(0, len(data), CHUNK_BYTES):
            await self._write_chunk(data[start : start + CHUNK_BYTES])

    async def _write_chunk(self, chunk: bytes) -> None:
        await self._open()
        await self._send(
            self._packet(
                stream_chunk=proto_models.DataStream.Chunk(
                    stream_id=self.stream_id, chunk_index=self._index, content=chunk
                )
            )
        )
        self._index += 1
        self.bytes_sent += len(chunk)

    async def aclose(self, reason: str = "", attributes: dict[str, str] | None = None) -> None:
        """Finish the stream (trailer); idempotent."""
        if self._closed:
            return
        await self._open()
        self._closed = True
        trailer = proto_models.DataStream.Trailer(
            stream_id=self.stream_id, reason=reason, attributes=attributes or {}
        )
        await self._send(self._packet(stream_trailer=trailer))


class TextStreamWriter(_StreamWriter):
    """Incremental text: ``await writer.write(...)`` then ``await writer.aclose()``."""

    async def write(self, text: str) -> None:
        for chunk in split_utf8(text):
            await self._write_chunk(chunk)


class ByteStreamWriter(_StreamWriter):
    """Incremental bytes: ``await writer.write(...)`` then ``await writer.aclose()``."""

    async def write(self, data: bytes) -> None:
        await self._write_bytes(data)


def new_header(
    *,
    topic: str,
    mime_type: str,
    total_length: int | None,
    attributes: dict[str, str] | None,
    stream_id: str | None = None,
    text: proto_models.DataStream.TextHeader | None = None,
    byte: proto_models.DataStream.ByteHeader | None = None,
) -> Header:
    header = Header(
        stream_id=stream_id or str(uuid.uuid4()),
        timestamp=int(time.time() * 1000),
        topic=topic,
        mime_type=mime_type,
        attributes=attributes or {},
    )
    if total_length is not None:
        header.total_length = total_length
    if text is not None:
        header.text_header.CopyFrom(text)
    if byte is not None:
        header.byte_header.CopyFrom(byte)
    return header


# ----- data streams v2: whole payloads ---------------------------------------------------------


def deflater() -> Any:
    """A raw-deflate compressor (no zlib header), as browsers' ``CompressionStream``."""
    return zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)


def deflate_raw(data: bytes) -> bytes:
    compressor = deflater()
    return bytes(compressor.compress(data) + compressor.flush())


async def deflate_raw_off_loop(data: bytes) -> bytes:
    """:func:`deflate_raw`, in a worker thread when ``data`` is large enough to stall the loop."""
    if len(data) <= DEFLATE_ON_LOOP_BYTES:
        return deflate_raw(data)
    return await asyncio.to_thread(deflate_raw, data)


async def send_whole(
    send: SendPacket,
    header: Header,
    destinations: list[str],
    payload: bytes,
    fmt: StreamFormat,
    *,
    inline: bool = True,
) -> str:
    """Send a payload known up front in the best format every recipient understands.

    v2: one header packet with the payload inline (deflated when that is smaller) if the
    packet fits in 15 000 bytes; else header, deflated chunks, trailer. v1: header,
    plain chunks (text on character boundaries), trailer. ``header.total_length`` stays the
    size before compression. Returns how it went: ``"inline"``, ``"deflated"`` or
    ``"chunked"`` (for logs and tests).
    """
    packed: bytes | None = None
    if fmt.deflate:
        packed = await deflate_raw_off_loop(payload)
    if fmt.v2 and inline:
        body = packed if packed is not None and len(packed) < len(payload) else payload
        if len(body) <= CHUNK_BYTES:
            single = Header()
            single.CopyFrom(header)
            single.inline_content = body
            if body is packed:
                single.compression = proto_models.DataStream.DEFLATE_RAW
            packet = proto_models.DataPacket(
                stream_header=single, destination_identities=destinations
            )
            if packet.ByteSize() <= CHUNK_BYTES:
                await send(packet)
                return "inline"
    writer = _StreamWriter(send, header, destinations)
    if packed is not None and len(packed) < len(payload):  # else deflating did not pay
        header.compression = proto_models.DataStream.DEFLATE_RAW
        await writer._write_bytes(packed)
        outcome = "deflated"
    else:
        is_text = header.WhichOneof("content_header") == "text_header"
        pieces = split_utf8_bytes(payload) if is_text else _slices(payload)
        for piece in pieces:
            await writer._write_chunk(piece)
        outcome = "chunked"
    await writer.aclose()
    return outcome


def _slices(data: bytes) -> list[bytes]:
    return [data[start : start + CHUNK_BYTES] for start in range(0, len(data), CHUNK_BYTES)]

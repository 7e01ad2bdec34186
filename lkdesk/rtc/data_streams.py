"""LiveKit text and byte streams: header, 15 000-byte chunks, trailer (PROTOCOL_NOTES §5.3).

Writers split text only on UTF-8 character boundaries. Readers are async iterators with
``read_all()``; a handler registered for a topic gets each new stream as its own task.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import time
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from livekit.protocol import models as proto_models

from lkdesk.core.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

CHUNK_BYTES = 15_000
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


def split_utf8(text: str, limit: int = CHUNK_BYTES) -> list[bytes]:
    """UTF-8 chunks of at most ``limit`` bytes that never split a character."""
    data = text.encode("utf-8")
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


# ----- receiving ------------------------------------------------------------------------------


class _StreamReader:
    """Chunks of one incoming stream, in order; iteration ends at the trailer."""

    def __init__(self, total: int | None) -> None:
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._error: Exception | None = None
        self.total = total
        self._inflate: Any = None  # a zlib decompressor for deflate-raw chunks
        self.received_bytes = 0
        self.trailer_attributes: dict[str, str] = {}

    @property
    def progress(self) -> float | None:
        """Fraction received (None when the sender did not announce a size)."""
        if not self.total:
            return None
        return min(1.0, self.received_bytes / self.total)

    def _push(self, chunk: bytes) -> None:
        if self._inflate is not None:
            chunk = self._inflate.decompress(chunk)
        self.received_bytes += len(chunk)
        if chunk:
            self._queue.put_nowait(chunk)

    def _finish(self, error: Exception | None = None) -> None:
        if self._inflate is not None and error is None:
            tail = self._inflate.flush()
            if tail:
                self.received_bytes += len(tail)
                self._queue.put_nowait(tail)
        self._error = error
        self._queue.put_nowait(None)

    def _compressed(self) -> None:
        """The sender deflated the chunks (data streams v2): inflate as they arrive."""
        self._inflate = zlib.decompressobj(wbits=-15)

    async def _chunks(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await self._queue.get()
            if chunk is None:
                if self._error is not None:
                    raise self._error
                return
            yield chunk


class TextStreamReader(_StreamReader):
    """``async for text in reader`` yields decoded pieces; ``await reader.read_all()``."""

    def __init__(self, info: TextStreamInfo) -> None:
        super().__init__(info.size)
        self.info = info

    async def __aiter__(self) -> AsyncIterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        async for chunk in self._chunks():
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    async def read_all(self) -> str:
        return "".join([piece async for piece in self])


class ByteStreamReader(_StreamReader):
    """``async for data in reader`` yields chunks; ``await reader.read_all()``."""

    def __init__(self, info: ByteStreamInfo) -> None:
        super().__init__(info.size)
        self.info = info

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def read_all(self) -> bytes:
        return b"".join([chunk async for chunk in self._chunks()])


StreamHandler = Callable[[Any, str], Awaitable[None] | None]


class IncomingStreams:
    """Routes stream packets to readers and starts the topic's handler for each stream."""

    def __init__(self) -> None:
        self._text_handlers: dict[str, StreamHandler] = {}
        self._byte_handlers: dict[str, StreamHandler] = {}
        self._open: dict[str, tuple[_StreamReader, str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def register_text(self, topic: str, handler: StreamHandler) -> None:
        if topic in self._text_handlers:
            raise ValueError(f"a text stream handler for topic {topic!r} is already registered")
        self._text_handlers[topic] = handler

    def unregister_text(self, topic: str) -> None:
        self._text_handlers.pop(topic, None)

    def register_byte(self, topic: str, handler: StreamHandler) -> None:
        if topic in self._byte_handlers:
            raise ValueError(f"a byte stream handler for topic {topic!r} is already registered")
        self._byte_handlers[topic] = handler

    def unregister_byte(self, topic: str) -> None:
        self._byte_handlers.pop(topic, None)

    def on_packet(self, packet: proto_models.DataPacket) -> bool:
        """Handle a stream packet; False when the packet is something else."""
        kind = packet.WhichOneof("value")
        if kind == "stream_header":
            self._on_header(packet.stream_header, packet.participant_identity)
        elif kind == "stream_chunk":
            entry = self._open.get(packet.stream_chunk.stream_id)
            if entry is not None:
                entry[0]._push(packet.stream_chunk.content)
        elif kind == "stream_trailer":
            entry = self._open.pop(packet.stream_trailer.stream_id, None)
            if entry is not None:
                entry[0].trailer_attributes = dict(packet.stream_trailer.attributes)
                entry[0]._finish()
        else:
            return False
        return True

    def _on_header(self, header: Header, sender: str) -> None:
        size = header.total_length if header.HasField("total_length") else None
        reader: _StreamReader
        if header.WhichOneof("content_header") == "byte_header":
            handler = self._byte_handlers.get(header.topic)
            reader = ByteStreamReader(
                ByteStreamInfo(
                    header.stream_id,
                    header.topic,
                    header.timestamp,
                    header.byte_header.name,
                    header.mime_type or "application/octet-stream",
                    size,
                    dict(header.attributes),
                )
            )
        else:
            handler = self._text_handlers.get(header.topic)
            text = header.text_header
            reader = TextStreamReader(
                TextStreamInfo(
                    header.stream_id,
                    header.topic,
                    header.timestamp,
                    header.mime_type or "text/plain",
                    size,
                    dict(header.attributes),
                    text.reply_to_stream_id,
                    tuple(text.attached_stream_ids),
                    text.generated,
                )
            )
        if handler is None:
            logger.info(
                "no handler for %s stream on topic %r; ignored", type(reader).__name__, header.topic
            )
            return
        inline = _inline_content(header)
        if inline is not None:
            reader._push(inline)
            reader._finish()
        else:
            if header.compression == proto_models.DataStream.DEFLATE_RAW:
                reader._compressed()
            self._open[header.stream_id] = (reader, sender)
        self._start(handler, reader, sender)

    def _start(self, handler: StreamHandler, reader: _StreamReader, sender: str) -> None:
        async def run() -> None:
            try:
                result = handler(reader, sender)
                if result is not None:
                    await result
            except asyncio.CancelledError:
                raise
            except Exception:  # a user handler's failure must not affect the room
                logger.exception("stream handler failed")

        task = asyncio.get_running_loop().create_task(run(), name="lkdesk-stream-handler")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def sender_left(self, identity: str) -> None:
        """Fail the open streams of a participant who left."""
        for stream_id, (reader, sender) in list(self._open.items()):
            if sender == identity:
                del self._open[stream_id]
                reader._finish(ConnectionError(f"{identity} left before the stream finished"))

    def fail_open(self, reason: str) -> None:
        """Every stream still arriving ends with ``reason`` (its handler sees the error)."""
        for reader, _ in self._open.values():
            reader._finish(ConnectionError(reason))
        self._open.clear()

    async def close(self) -> None:
        self.fail_open("the room was closed")
        tasks, self._tasks = set(self._tasks), set()
        await cancel_and_wait(tasks)


def _inline_content(header: Header) -> bytes | None:
    """Data streams v2 may carry a small payload in the header, maybe raw-deflated."""
    if not header.HasField("inline_content"):
        return None
    content = header.inline_content
    if header.compression == proto_models.DataStream.DEFLATE_RAW:
        content = zlib.decompress(content, wbits=-15)
    return content

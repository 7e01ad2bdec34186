"""Receiving LiveKit text and byte streams, v1 and v2 (PROTOCOL_NOTES §5.3).

A stream is a header, numbered chunks and a trailer; data streams v2 may instead carry the
whole payload in the header (``inline_content``) and may raw-deflate it (``compression``).
Whatever a peer sends, a bad stream ends as an error its reader raises (a gap in the
chunks, an abnormal trailer, an undecodable or oversized deflate payload); the room's loop
never sees an exception from here. Readers are async iterators with ``read_all()``; a
handler registered for a topic gets each new stream as its own task.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from livekit.protocol import models as proto_models

from lkdesk.core.errors import LkdeskError
from lkdesk.core.tasks import cancel_and_wait
from lkdesk.rtc.data_streams import ByteStreamInfo, Header, TextStreamInfo

logger = logging.getLogger(__name__)

#: Most bytes one deflated stream may inflate to (a small packet can inflate 1000-fold).
MAX_INFLATED_BYTES = 1 << 30
#: Inflate in pieces of at most this size, so one packet never allocates a huge buffer.
_INFLATE_STEP = 1 << 20

_DEFLATE_RAW = proto_models.DataStream.DEFLATE_RAW
_NONE = proto_models.DataStream.NONE


class StreamError(LkdeskError, ConnectionError):
    """A stream ended abnormally: the sender left or aborted, or the data was malformed."""


class _Inflater:
    """Raw-deflate decoding with a ceiling on the output (a decompression-bomb guard)."""

    def __init__(self) -> None:
        self._inflate = zlib.decompressobj(wbits=-15)
        self._left = MAX_INFLATED_BYTES

    def feed(self, data: bytes) -> list[bytes]:
        pieces: list[bytes] = []
        while data:
            piece = self._inflate.decompress(data, _INFLATE_STEP)
            self._take(piece, pieces)
            data = self._inflate.unconsumed_tail
        return pieces

    def finish(self) -> list[bytes]:
        pieces: list[bytes] = []
        self._take(self._inflate.flush(), pieces)
        return pieces

    def _take(self, piece: bytes, pieces: list[bytes]) -> None:
        self._left -= len(piece)
        if self._left < 0:
            raise StreamError("the deflated stream inflates beyond the size lkdesk accepts")
        if piece:
            pieces.append(piece)


class _StreamReader:
    """Chunks of one incoming stream, in order; iteration ends at the trailer."""

    def __init__(self, total: int | None) -> None:
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._error: Exception | None = None
        self._done = False
        self._next_index = 0
        self._inflater: _Inflater | None = None
        self.total = total
        self.received_bytes = 0
        self.trailer_attributes: dict[str, str] = {}

    @property
    def progress(self) -> float | None:
        """Fraction received (None when the sender did not announce a size)."""
        if not self.total:
            return None
        return min(1.0, self.received_bytes / self.total)

    def _compressed(self) -> None:
        """The sender deflated the chunks (data streams v2): inflate as they arrive."""
        self._inflater = _Inflater()

    def _chunk(self, index: int, content: bytes) -> None:
        """A numbered chunk: duplicates (a resend) are dropped, a gap ends the stream."""
        if self._done or index < self._next_index:
            return
        if index > self._next_index:
            self._finish(StreamError(f"chunks {self._next_index}..{index - 1} never arrived"))
            return
        self._next_index += 1
        self._push(content)

    def _push(self, data: bytes) -> None:
        try:
            pieces = self._inflater.feed(data) if self._inflater is not None else [data]
        except (zlib.error, StreamError) as exc:
            self._finish(StreamError(f"undecodable compressed stream: {exc}"))
            return
        self._deliver(pieces)

    def _deliver(self, pieces: list[bytes]) -> None:
        for piece in pieces:
            if piece:
                self.received_bytes += len(piece)
                self._queue.put_nowait(piece)

    def _finish(self, error: Exception | None = None) -> None:
        if self._done:
            return
        if self._inflater is not None and error is None:
            try:
                self._deliver(self._inflater.finish())
            except (zlib.error, StreamError) as exc:
                error = StreamError(f"undecodable compressed stream: {exc}")
        self._done = True
        self._error = error
        self._queue.put_nowait(None)

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


def _reader_for(header: Header) -> _StreamReader:
    size = header.total_length if header.HasField("total_length") else None
    if header.WhichOneof("content_header") == "byte_header":
        return ByteStreamReader(
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
    text = header.text_header
    return TextStreamReader(
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
            chunk = packet.stream_chunk
            entry = self._open.get(chunk.stream_id)
            if entry is not None:
                entry[0]._chunk(chunk.chunk_index, chunk.content)
        elif kind == "stream_trailer":
            self._on_trailer(packet.stream_trailer)
        else:
            return False
        return True

    def _on_header(self, header: Header, sender: str) -> None:
        if header.stream_id in self._open:
            logger.warning("a second header for open stream %s; ignored", header.stream_id)
            return
        if header.compression not in (_NONE, _DEFLATE_RAW):
            logger.warning("stream with unknown compression %d; ignored", header.compression)
            return
        reader = _reader_for(header)
        is_bytes = isinstance(reader, ByteStreamReader)
        handler = (self._byte_handlers if is_bytes else self._text_handlers).get(header.topic)
        if handler is None:
            logger.info(
                "no handler for %s stream on topic %r; ignored", type(reader).__name__, header.topic
            )
            return
        if header.compression == _DEFLATE_RAW:
            reader._compressed()
        if header.HasField("inline_content"):  # v2: the whole stream in one packet
            reader._push(header.inline_content)
            reader._finish()
        else:
            self._open[header.stream_id] = (reader, sender)
        self._start(handler, reader, sender)

    def _on_trailer(self, trailer: proto_models.DataStream.Trailer) -> None:
        entry = self._open.pop(trailer.stream_id, None)
        if entry is None:
            return
        reader = entry[0]
        reader.trailer_attributes = dict(trailer.attributes)
        if trailer.reason:
            reader._finish(StreamError(f"the sender ended the stream: {trailer.reason}"))
        else:
            reader._finish()

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
                reader._finish(StreamError(f"{identity} left before the stream finished"))

    def fail_open(self, reason: str) -> None:
        """Every stream still arriving ends with ``reason`` (its handler sees the error)."""
        for reader, _ in self._open.values():
            reader._finish(StreamError(reason))
        self._open.clear()

    async def close(self) -> None:
        self.fail_open("the room was closed")
        tasks, self._tasks = set(self._tasks), set()
        await cancel_and_wait(tasks)

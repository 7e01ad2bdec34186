"""The room's data features in one place: packets, text/byte streams, RPC, DTMF.

Everything goes through the engine's :class:`DataTransport` (which opens the publisher's
channels on first use and keeps reliable data across reconnects). Every send checks the
canPublishData permission first, so a refused participant gets a clear error instead of
the server silently dropping its packets.

Streams and RPC use the newest format every recipient understands: the client protocol
and capabilities each participant announced (``ParticipantInfo``), capped by what we
announced ourselves, decide between data streams v1 and v2 and between RPC v1 and v2.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from livekit.protocol import models as proto_models

from lkdesk.core.errors import PublishPermissionError
from lkdesk.rtc import data_streams as ds
from lkdesk.rtc import rpc
from lkdesk.rtc.engine.data_transport import DataTransport
from lkdesk.rtc.stream_receive import IncomingStreams
from lkdesk.rtc.transcription import TranscriptionReceiver

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DataPacket:
    """A user data packet as delivered by ``data_received`` (official SDK names)."""

    data: bytes
    kind: int
    participant: Any
    topic: str


@dataclass(frozen=True, slots=True)
class PeerFeatures:
    """What a participant announced it can decode (from its ``ParticipantInfo``)."""

    client_protocol: int = 0
    deflate: bool = False


#: Client protocol from which a participant takes data streams v2 (inline, deflate).
STREAMS_V2_FROM_CLIENT_PROTOCOL = 2
_FILE_BLOCK = 256 * 1024


@dataclass(frozen=True, slots=True)
class SipDTMF:
    """A DTMF tone relayed from a SIP participant."""

    code: int
    digit: str
    participant: Any


class RoomData:
    """Data-channel features of one session."""

    def __init__(
        self,
        transport: DataTransport,
        *,
        can_publish_data: Callable[[], bool],
        emit: Callable[..., None],
        participant_for: Callable[[str], Any],
        features_of: Callable[[str], PeerFeatures | None] = lambda _identity: None,
        everyone: Callable[[], list[str]] = list,
        own_client_protocol: Callable[[], int] = lambda: 0,
    ) -> None:
        self._can_publish_data = can_publish_data
        self._emit = emit
        self._participant_for = participant_for
        self._features_of = features_of
        self._everyone = everyone
        self._own_client_protocol = own_client_protocol
        self.transport = transport
        self.streams = IncomingStreams()
        self.rpc = rpc.RpcManager(self._send_reliable, self._send_text_for_rpc, self.protocol_with)
        self.streams.register_text(rpc.REQUEST_TOPIC, self.rpc.on_request_stream)
        self.streams.register_text(rpc.RESPONSE_TOPIC, self.rpc.on_response_stream)
        self.transcriptions = TranscriptionReceiver(
            self.streams, emit=emit, participant_for=participant_for
        )

    # ----- what the recipients understand --------------------------------------------------

    def protocol_with(self, identity: str) -> int:
        """The client protocol to speak with ``identity``: its own, capped by ours."""
        features = self._features_of(identity)
        theirs = features.client_protocol if features is not None else 0
        return min(theirs, self._own_client_protocol())

    def stream_format(self, destinations: list[str]) -> ds.StreamFormat:
        """The stream format every recipient decodes (everyone in the room when none named)."""
        if self._own_client_protocol() < STREAMS_V2_FROM_CLIENT_PROTOCOL:
            return ds.V1_FORMAT
        features = [self._features_of(identity) for identity in destinations or self._everyone()]
        v2 = all(
            f is not None and f.client_protocol >= STREAMS_V2_FROM_CLIENT_PROTOCOL for f in features
        )
        deflate = v2 and all(f is not None and f.deflate for f in features)
        return ds.StreamFormat(v2=v2, deflate=deflate)

    # ----- sending ---------------------------------------------------------------------

    def _check_allowed(self) -> None:
        if not self._can_publish_data():
            raise PublishPermissionError(
                "This session may not send data or chat (the token or an administrator "
                "removed the canPublishData permission)."
            )

    async def _send_reliable(self, packet: proto_models.DataPacket) -> None:
        self._check_allowed()
        await self.transport.send(packet, reliable=True)

    async def publish_data(
        self,
        payload: bytes | str,
        *,
        reliable: bool = True,
        destination_identities: list[str] | None = None,
        topic: str = "",
    ) -> None:
        self._check_allowed()
        data = payload.encode() if isinstance(payload, str) else payload
        packet = proto_models.DataPacket(
            user=proto_models.UserPacket(payload=data, topic=topic),
            destination_identities=destination_identities or [],
        )
        await self.transport.send(packet, reliable=reliable)

    async def stream_text(
        self,
        *,
        topic: str = "",
        destination_identities: list[str] | None = None,
        attributes: dict[str, str] | None = None,
        stream_id: str | None = None,
        reply_to_id: str = "",
        total_size: int | None = None,
        attached_stream_ids: list[str] | None = None,
    ) -> ds.TextStreamWriter:
        self._check_allowed()
        text_header = proto_models.DataStream.TextHeader(
            operation_type=proto_models.DataStream.CREATE,
            reply_to_stream_id=reply_to_id,
            attached_stream_ids=attached_stream_ids or [],
        )
        header = ds.new_header(
            topic=topic,
            mime_type="text/plain",
            total_length=total_size,
            attributes=attributes,
            stream_id=stream_id,
            text=text_header,
        )
        return ds.TextStreamWriter(self._send_reliable, header, destination_identities or [])

    async def send_text(
        self,
        text: str,
        *,
        topic: str = "",
        destination_identities: list[str] | None = None,
        attributes: dict[str, str] | None = None,
        stream_id: str | None = None,
        reply_to_id: str = "",
        attached_stream_ids: list[str] | None = None,
        compress: bool = True,
    ) -> ds.TextStreamInfo:
        """Send ``text`` whole, in the best stream format every recipient decodes."""
        self._check_allowed()
        data = text.encode()
        destinations = destination_identities or []
        header = ds.new_header(
            topic=topic,
            mime_type="text/plain",
            total_length=len(data),
            attributes=attributes,
            stream_id=stream_id,
            text=proto_models.DataStream.TextHeader(
                operation_type=proto_models.DataStream.CREATE,
                reply_to_stream_id=reply_to_id,
                attached_stream_ids=attached_stream_ids or [],
            ),
        )
        fmt = self.stream_format(destinations)
        if not compress:
            fmt = replace(fmt, deflate=False)
        # livekit-client never inlines a message that has attachments; neither do we
        how = await ds.send_whole(
            self._send_reliable, header, destinations, data, fmt, inline=not attached_stream_ids
        )
        logger.debug("text stream %s sent %s (%d bytes)", header.stream_id, how, len(data))
        return ds.TextStreamInfo(
            header.stream_id,
            header.topic,
            header.timestamp,
            size=len(data),
            attributes=dict(header.attributes),
            reply_to_id=reply_to_id,
            attached_stream_ids=tuple(attached_stream_ids or ()),
        )

    async def _send_text_for_rpc(
        self,
        text: str,
        *,
        topic: str,
        destination_identities: list[str],
        attributes: dict[str, str],
    ) -> Any:
        return await self.send_text(
            text, topic=topic, destination_identities=destination_identities, attributes=attributes
        )

    async def stream_bytes(
        self,
        name: str,
        *,
        topic: str = "",
        mime_type: str = "application/octet-stream",
        total_size: int | None = None,
        destination_identities: list[str] | None = None,
        attributes: dict[str, str] | None = None,
        stream_id: str | None = None,
    ) -> ds.ByteStreamWriter:
        self._check_allowed()
        header = ds.new_header(
            topic=topic,
            mime_type=mime_type,
            total_length=total_size,
            attributes=attributes,
            stream_id=stream_id,
            byte=proto_models.DataStream.ByteHeader(name=name),
        )
        return ds.ByteStreamWriter(self._send_reliable, header, destination_identities or [])

    async def send_file(
        self,
        file_path: str | os.PathLike[str],
        *,
        topic: str = "",
        destination_identities: list[str] | None = None,
        attributes: dict[str, str] | None = None,
        mime_type: str | None = None,
        name: str | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        compress: bool = True,
    ) -> ds.ByteStreamInfo:
        """Send a file as a byte stream, deflated (in a worker thread) when every recipient
        inflates; ``on_progress(read, total)`` counts the file's bytes."""
        path = Path(file_path)
        size = (await asyncio.to_thread(path.stat)).st_size
        kind = mime_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        writer = await self.stream_bytes(
            name or path.name,
            topic=topic,
            mime_type=kind,
            total_size=size,
            destination_identities=destination_identities,
            attributes=attributes,
        )
        header = writer._header
        compressor = (
            ds.deflater()
            if compress and self.stream_format(destination_identities or []).deflate
            else None
        )
        if compressor is not None:
            header.compression = proto_models.DataStream.DEFLATE_RAW
        handle = await asyncio.to_thread(path.open, "rb")

        def next_piece() -> tuple[int, bytes]:
            block = handle.read(_FILE_BLOCK)
            if compressor is None:
                return len(block), block
            return len(block), compressor.compress(block) if block else compressor.flush()

        read = 0
        try:
            while True:
                got, piece = await asyncio.to_thread(next_piece)
                if piece:
                    await writer.write(piece)
                if not got:
                    break
                read += got
                if on_progress is not None:
                    on_progress(read, size)
        finally:
            await asyncio.to_thread(handle.close)
        await writer.aclose()
        return ds.ByteStreamInfo(
            header.stream_id,
            header.topic,
            header.timestamp,
            header.byte_header.name,
            kind,
            size,
            dict(header.attributes),
        )

    async def perform_rpc(
        self,
        *,
        destination_identity: str,
        method: str,
        payload: str,
        response_timeout: float | None = None,
    ) -> str:
        self._check_allowed()
        return await self.rpc.perform(
            destination_identity,
            method,
            payload,
            response_timeout or rpc.DEFAULT_RESPONSE_TIMEOUT_S,
        )

    def register_rpc_method(self, method: str, handler: rpc.RpcHandler) -> None:
        self.rpc.register(method, handler)

    # ----- receiving -------------------------------------------------------------------

    def on_packet(self, packet: proto_models.DataPacket) -> None:
        """One packet received from the room (the engine calls this); never raises."""
        try:
            self._dispatch(packet)
        except Exception:  # a malformed packet from a peer must not reach the channel's loop
            logger.exception("dropped a data packet that could not be handled")

    def _dispatch(self, packet: proto_models.DataPacket) -> None:
        if self.streams.on_packet(packet) or self.rpc.on_packet(packet):
            return
        kind = packet.WhichOneof("value")
        participant = self._participant_for(packet.participant_identity)
        if kind == "user":
            self._emit(
                "data_received",
                DataPacket(packet.user.payload, packet.kind, participant, packet.user.topic),
            )
        elif kind == "sip_dtmf":
            dtmf = packet.sip_dtmf
            self._emit("sip_dtmf_received", SipDTMF(dtmf.code, dtmf.digit, participant))
        elif kind == "chat_message":
            self._emit("chat_message_packet", packet.chat_message, participant)
        elif kind == "transcription":
            self.transcriptions.on_packet(packet.transcription)
        else:
            logger.debug("ignoring data packet of type %s", kind)

    def participant_left(self, identity: str) -> None:
        self.streams.sender_left(identity)
        self.rpc.participant_left(identity)

    def session_ended(self) -> None:
        """The connection dropped: streams still arriving will never finish."""
        self.streams.fail_open("the connection dropped before the stream finished")

    async def close(self) -> None:
        await self.streams.close()
        await self.rpc.close()

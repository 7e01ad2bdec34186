"""Chat as LiveKit's own apps do it (components-js / LiveKit Meet, PROTOCOL_NOTES §5.4).

A message is a text stream on ``lk.chat``; its stream id is the message id, and a stream
that reuses an id from the same sender is an edit. Replies name the original in
``reply_to_stream_id``; attachments are byte streams on the same topic listed in
``attached_stream_ids``. For older clients a JSON packet also goes out on ``lk-chat-topic``
with ``ignoreLegacy`` set, and such packets from others are received unless they say to
ignore them. A message that fails to send stays in the history as FAILED and can be resent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lkdesk.core.emitter import EventEmitter
from lkdesk.core.errors import LkdeskError
from lkdesk.rtc.data import DataPacket
from lkdesk.rtc.stream_receive import ByteStreamReader, TextStreamReader

if TYPE_CHECKING:
    from lkdesk.rtc.room import Room

logger = logging.getLogger(__name__)

CHAT_TOPIC = "lk.chat"
LEGACY_CHAT_TOPIC = "lk-chat-topic"


class DeliveryState(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    RECEIVED = "received"


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat message as shown in a history."""

    id: str
    timestamp: int  # ms since the epoch, of the first version
    message: str
    sender_identity: str
    state: DeliveryState
    edit_timestamp: int | None = None
    reply_to_id: str = ""
    destination_identities: tuple[str, ...] = ()
    attachment_ids: tuple[str, ...] = ()
    error: str = ""

    @property
    def is_direct(self) -> bool:
        return bool(self.destination_identities)


@dataclass(slots=True)
class ReceivedFile:
    """A file someone shared in the chat; ``reader`` streams its bytes."""

    stream_id: str
    name: str
    mime_type: str
    size: int | None
    sender_identity: str
    reader: ByteStreamReader = field(repr=False)


ChatEvents = Literal["message_received", "message_updated", "message_state", "file_received"]


class Chat(EventEmitter[ChatEvents]):
    """The room's chat: history, send/edit/reply, direct messages, files.

    Messages go out one after another, so everyone sees them in the order they were written.
    While the room reconnects a message waits (state SENDING) and goes out once the room is
    back; one that failed is sent again once, automatically, after the next reconnect. Every
    change of one of our messages' state is emitted as ``message_state``.
    """

    def __init__(self, room: Room) -> None:
        super().__init__()
        self._room = room
        self.history: list[ChatMessage] = []
        self._send_order = asyncio.Lock()
        self._retried: set[str] = set()
        self._retries: set[asyncio.Task[ChatMessage]] = set()
        room.register_text_stream_handler(CHAT_TOPIC, self._on_text_stream)
        room.register_byte_stream_handler(CHAT_TOPIC, self._on_byte_stream)
        room.on("data_received", self._on_packet)
        room.on("chat_message_packet", self._on_chat_packet)
        room.on("reconnected", self._retry_failed)

    def close(self) -> None:
        """Stop listening (the history stays); automatic retries still running are cancelled."""
        self._room.unregister_text_stream_handler(CHAT_TOPIC)
        self._room.unregister_byte_stream_handler(CHAT_TOPIC)
        self._room.off("data_received", self._on_packet)
        self._room.off("chat_message_packet", self._on_chat_packet)
        self._room.off("reconnected", self._retry_failed)
        for task in self._retries:
            task.cancel()

    def _retry_failed(self) -> None:
        """After a reconnect, send each message that failed once more (only once)."""
        for message in list(self.history):
            if message.state == DeliveryState.FAILED and message.id not in self._retried:
                self._retried.add(message.id)
                retry = replace(message, state=DeliveryState.SENDING, error="")
                task = asyncio.get_running_loop().create_task(
                    self._deliver(retry, []), name="lkdesk-chat-retry"
                )
                self._retries.add(task)
                task.add_done_callback(self._retries.discard)

    @property
    def _identity(self) -> str:
        local = self._room.local_participant
        return local.identity if local is not None else ""

    # ----- sending --------------------------------------------------------------------

    async def send(
        self,
        text: str,
        *,
        destination_identities: list[str] | None = None,
        reply_to_id: str = "",
        attachments: list[Path] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        message_id: str | None = None,
    ) -> ChatMessage:
        """Send a message (to everyone or only to ``destination_identities``).

        The message is in :attr:`history` before anything is sent, so a failure loses
        nothing: it is kept as FAILED with the reason, and :meth:`resend` retries it.
        ``on_progress(sent, total)`` follows each attachment's upload; ``message_id`` names
        the message (a new UUID by default).
        """
        message = ChatMessage(
            id=message_id or str(uuid.uuid4()),
            timestamp=int(time.time() * 1000),
            message=text,
            sender_identity=self._identity,
            state=DeliveryState.SENDING,
            reply_to_id=reply_to_id,
            destination_identities=tuple(destination_identities or ()),
        )
        return await self._deliver(message, attachments or [], on_progress)

    async def resend(self, message_id: str) -> ChatMessage:
        """Try again to send a FAILED message."""
        message = self._find(message_id, self._identity)
        if message is None or message.state != DeliveryState.FAILED:
            raise LkdeskError("Only a message that failed to send can be resent.")
        return await self._deliver(replace(message, state=DeliveryState.SENDING, error=""), [])

    async def edit(self, message_id: str, text: str) -> ChatMessage:
        """Replace the text of one of our messages everywhere."""
        original = self._find(message_id, self._identity)
        if original is None:
            raise LkdeskError("Only your own messages can be edited.")
        edited = replace(
            original,
            message=text,
            edit_timestamp=int(time.time() * 1000),
            state=DeliveryState.SENDING,
        )
        return await self._deliver(edited, [])

    async def _deliver(
        self,
        message: ChatMessage,
        attachments: list[Path],
        on_progress: Callable[[int, int], None] | None = None,
        message_id: str | None = None,
    ) -> ChatMessage:
        self._set_state(message)
        async with self._send_order:
            done = await self._send_now(message, attachments, on_progress)
        self._set_state(done)
        return done

    def _set_state(self, message: ChatMessage) -> None:
        self._upsert(message)
        self.emit("message_state", message)

    async def _send_now(
        self,
        message: ChatMessage,
        attachments: list[Path],
        on_progress: Callable[[int, int], None] | None,
    ) -> ChatMessage:
        local = self._room.local_participant
        destinations = list(message.destination_identities)
        try:
            if local is None:
                raise LkdeskError("Not connected to a room.")
            attachment_ids = list(message.attachment_ids)
            for path in attachments:
                info = await local.send_file(
                    path,
                    topic=CHAT_TOPIC,
                    destination_identities=destinations,
                    on_progress=on_progress,
                )
                attachment_ids.append(info.stream_id)
            await local.send_text(
                message.message,
                topic=CHAT_TOPIC,
                stream_id=message.id,
                reply_to_id=message.reply_to_id,
                destination_identities=destinations,
                attached_stream_ids=attachment_ids,
            )
            legacy = {
                "id": message.id,
                "timestamp": message.timestamp,
                "message": message.message,
                "ignoreLegacy": True,
            }
            if message.edit_timestamp is not None:
                legacy["editTimestamp"] = message.edit_timestamp
            await local.publish_data(
                json.dumps(legacy), topic=LEGACY_CHAT_TOPIC, destination_identities=destinations
            )
            done = replace(message, state=DeliveryState.SENT, attachment_ids=tuple(attachment_ids))
        except (LkdeskError, ConnectionError, ValueError, OSError) as exc:
            logger.warning("chat message not sent: %s", exc)
            done = replace(message, state=DeliveryState.FAILED, error=str(exc))
        return done

    # ----- receiving ------------------------------------------------------------------

    async def _on_text_stream(self, reader: TextStreamReader, sender: str) -> None:
        info = reader.info
        text = await reader.read_all()
        self._receive(
            ChatMessage(
                id=info.stream_id,
                timestamp=info.timestamp,
                message=text,
                sender_identity=sender,
                state=DeliveryState.RECEIVED,
                reply_to_id=info.reply_to_id,
                attachment_ids=info.attached_stream_ids,
            )
        )

    def _on_byte_stream(self, reader: ByteStreamReader, sender: str) -> None:
        info = reader.info
        self.emit(
            "file_received",
            ReceivedFile(info.stream_id, info.name, info.mime_type, info.size, sender, reader),
        )

    def _on_packet(self, packet: DataPacket) -> None:
        if packet.topic != LEGACY_CHAT_TOPIC or packet.participant is None:
            return
        try:
            body: dict[str, Any] = json.loads(packet.data)
            if body.get("ignoreLegacy"):
                return  # the sender also sent the text stream
            message = ChatMessage(
                id=str(body["id"]),
                timestamp=int(body.get("timestamp") or time.time() * 1000),
                message=str(body["message"]),
                sender_identity=packet.participant.identity,
                state=DeliveryState.RECEIVED,
                edit_timestamp=body.get("editTimestamp"),
            )
        except (ValueError, KeyError, TypeError):
            logger.info("ignoring a malformed legacy chat packet")
            return
        self._receive(message)

    def _on_chat_packet(self, packet: Any, participant: Any) -> None:
        """The deprecated DataPacket.chat_message (livekit-client's sendChatMessage)."""
        if participant is None or packet.deleted:
            return
        self._receive(
            ChatMessage(
                id=packet.id,
                timestamp=int(packet.timestamp),
                message=packet.message,
                sender_identity=participant.identity,
                state=DeliveryState.RECEIVED,
                edit_timestamp=int(packet.edit_timestamp) if packet.edit_timestamp else None,
            )
        )

    def _receive(self, message: ChatMessage) -> None:
        existing = self._find(message.id, message.sender_identity)
        if existing is not None and existing.message == message.message:
            return  # the same message again (e.g. stream plus legacy packet)
        if existing is not None:
            message = replace(
                message,
                timestamp=existing.timestamp,
                edit_timestamp=message.edit_timestamp or message.timestamp,
            )
            self._upsert(message)
            self.emit("message_updated", message)
        else:
            self._upsert(message)
            self.emit("message_received", message)

    # ----- history --------------------------------------------------------------------

    def _find(self, message_id: str, sender: str) -> ChatMessage | None:
        return next(
            (m for m in self.history if m.id == message_id and m.sender_identity == sender), None
        )

    def _upsert(self, message: ChatMessage) -> None:
        for i, existing in enumerate(self.history):
            if existing.id == message.id and existing.sender_identity == message.sender_identity:
                self.history[i] = message
                return
        self.history.append(message)


async def save_file(received: ReceivedFile, path: Path) -> int:
    """Write a received file to ``path`` without blocking the loop; returns its size."""
    handle = await asyncio.to_thread(path.open, "wb")
    written = 0
    try:
        async for chunk in received.reader:
            await asyncio.to_thread(handle.write, chunk)
            written += len(chunk)
    finally:
        await asyncio.to_thread(handle.close)
    return written

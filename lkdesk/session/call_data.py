"""Chat and files in a real room, on lkdesk.rtc's ``Chat`` (LiveKit's ``lk.chat`` streams).

Text goes through :class:`lkdesk.rtc.Chat` (it also speaks the legacy ``lk-chat-topic``
packets of older LiveKit apps). A file is a byte stream on ``lk.chat`` followed by an empty
message that lists it, as LiveKit Meet does; received files are read into memory at once
(with progress) so "Save…" works whenever the user clicks it.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from lkdesk import rtc
from lkdesk.errors import LkdeskError
from lkdesk.session.errors import SessionError
from lkdesk.session.model import Attachment, ChatDelivery, FileTransfer, TransferState
from lkdesk.session.tasks import TaskSet

if TYPE_CHECKING:
    from lkdesk.session.base import Session

logger = logging.getLogger(__name__)

CHAT_TOPIC = "lk.chat"
_DELIVERY = {
    rtc.DeliveryState.SENDING: ChatDelivery.SENDING,
    rtc.DeliveryState.SENT: ChatDelivery.SENT,
    rtc.DeliveryState.FAILED: ChatDelivery.FAILED,
    rtc.DeliveryState.RECEIVED: ChatDelivery.RECEIVED,
}


class ChatAndFiles:
    """The session's side of :class:`rtc.Chat`; keeps received files until saved."""

    def __init__(self, session: Session, room: rtc.Room, tasks: TaskSet) -> None:
        self._session = session
        self._room = room
        self._tasks = tasks
        self._received: dict[str, bytes] = {}
        self._sent: dict[str, Path] = {}
        self.chat = rtc.Chat(room)
        self.chat.on("message_received", self._on_message)
        self.chat.on("message_updated", self._on_message)
        self.chat.on("message_state", self._on_own_message)
        self.chat.on("file_received", self._on_file)

    def close(self) -> None:
        self.chat.close()

    # ----- chat ------------------------------------------------------------------------------

    async def send_chat(self, text: str) -> None:
        """Send ``text``; the chat shows it at once and follows its delivery state."""
        text = text.strip()
        if text:
            await self.chat.send(text)

    async def retry_chat(self, message_id: str) -> None:
        try:
            await self.chat.resend(message_id)
        except LkdeskError as exc:
            raise SessionError(str(exc)) from exc

    def _on_own_message(self, message: rtc.ChatMessage) -> None:
        if not message.message.strip():
            return  # a file announcement: send_file shows the file itself
        s = self._session
        s._add_chat(
            s.local_identity,
            s.local_name,
            message.message,
            message_id=message.id,
            delivery=_DELIVERY[message.state],
            error=message.error,
        )

    def _on_message(self, message: rtc.ChatMessage) -> None:
        if not message.message.strip():
            return  # a file announcement: the file itself arrives as "file_received"
        sender = message.sender_identity
        self._session._add_chat(
            sender, self._name(sender), message.message, message_id=f"{sender}/{message.id}"
        )

    def _name(self, identity: str) -> str:
        state = self._session.participant(identity)
        return state.display_name if state else identity

    # ----- files ---------------------------------------------------------------------------------

    async def send_file(self, path: Path) -> None:
        local = self._room.local_participant
        if local is None:
            raise SessionError("Join the room first.")
        size = (await asyncio.to_thread(path.stat)).st_size
        transfer = FileTransfer(uuid.uuid4().hex, path.name, size, 0, TransferState.ACTIVE, True)
        s = self._session
        s._set_transfer(transfer)

        def progress(sent: int, total: int) -> None:
            s._set_transfer(replace(transfer, transferred=sent, size=total or size))

        try:
            info = await local.send_file(path, topic=CHAT_TOPIC, on_progress=progress)
            await local.send_text("", topic=CHAT_TOPIC, attached_stream_ids=[info.stream_id])
        except (LkdeskError, OSError) as exc:
            s._set_transfer(replace(transfer, state=TransferState.FAILED, error=str(exc)))
            raise SessionError(f"{path.name} was not sent ({exc}). Try again.") from exc
        self._sent[transfer.id] = path
        s._set_transfer(replace(transfer, transferred=size, state=TransferState.DONE))
        s._add_chat(
            s.local_identity, s.local_name, "", attachment=Attachment(transfer.id, path.name, size)
        )

    def _on_file(self, received: rtc.ReceivedFile) -> None:
        self._tasks.spawn(self._read_file(received), "file-in")

    async def _read_file(self, received: rtc.ReceivedFile) -> None:
        name = self._name(received.sender_identity)
        transfer = FileTransfer(
            received.stream_id,
            received.name or "file",
            received.size or 0,
            0,
            TransferState.ACTIVE,
            False,
            peer_name=name,
        )
        s = self._session
        s._set_transfer(transfer)
        chunks: list[bytes] = []
        got = 0
        try:
            async for chunk in received.reader:
                chunks.append(bytes(chunk))
                got += len(chunk)
                s._set_transfer(replace(transfer, transferred=got))
        except LkdeskError as exc:
            s._set_transfer(replace(transfer, state=TransferState.FAILED, error=str(exc)))
            s._notice(f"{transfer.file_name} from {name} did not arrive completely.")
            return
        self._received[transfer.id] = b"".join(chunks)
        done = replace(transfer, size=got, transferred=got, state=TransferState.DONE)
        s._set_transfer(done)
        s._add_chat(
            received.sender_identity, name, "", attachment=Attachment(done.id, done.file_name, got)
        )

    async def save_file(self, transfer_id: str, destination: Path) -> None:
        if transfer_id in self._received:
            await asyncio.to_thread(destination.write_bytes, self._received[transfer_id])
        elif transfer_id in self._sent:
            await asyncio.to_thread(shutil.copyfile, self._sent[transfer_id], destination)
        else:
            raise SessionError("That file is no longer available; ask the sender to send it again.")

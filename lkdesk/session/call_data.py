"""Chat and files in a real room, on lkdesk.rtc's ``Chat`` (LiveKit's ``lk.chat`` streams).

There is one message history: :attr:`rtc.Chat.history`. What the UI shows
(:class:`~lkdesk.session.model.ChatEntry`) is a projection of it with display names and
delivery states, merged by time with the files of the call. A file is a byte stream on
``lk.chat`` followed by an empty message that lists it, as LiveKit Meet does (the empty
message itself is not shown); received files are read into memory at once (with progress)
so "Save…" works whenever the user clicks it, and appear once complete.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lkdesk import rtc
from lkdesk.core.errors import LkdeskError
from lkdesk.core.tasks import TaskSet
from lkdesk.session.errors import SessionError
from lkdesk.session.model import (
    Attachment,
    ChatDelivery,
    ChatEntry,
    FileTransfer,
    TransferState,
)

if TYPE_CHECKING:
    from lkdesk.session.base import Session

logger = logging.getLogger(__name__)

_DELIVERY = {
    rtc.DeliveryState.SENDING: ChatDelivery.SENDING,
    rtc.DeliveryState.SENT: ChatDelivery.SENT,
    rtc.DeliveryState.FAILED: ChatDelivery.FAILED,
    rtc.DeliveryState.RECEIVED: ChatDelivery.RECEIVED,
}


class ChatAndFiles:
    """The session's side of :class:`rtc.Chat`; keeps files until they are saved."""

    def __init__(self, session: Session, room: rtc.Room, tasks: TaskSet) -> None:
        self._session = session
        self._tasks = tasks
        self._received: dict[str, bytes] = {}  # stream id -> content
        self._sent: dict[str, tuple[Path, int]] = {}  # message id -> file, size
        self._incoming: dict[str, tuple[FileTransfer, str, datetime]] = {}  # complete files
        self._shown: set[str] = set()  # entry ids the UI has seen
        self.chat = rtc.Chat(room)
        self.chat.on("message_received", self._changed)
        self.chat.on("message_updated", self._changed)
        self.chat.on("message_state", self._changed)
        self.chat.on("file_received", self._on_file)

    def close(self) -> None:
        self.chat.close()

    # ----- the projection ----------------------------------------------------------------------

    def entries(self) -> tuple[ChatEntry, ...]:
        """The chat as the UI shows it, oldest first."""
        shown = [e for m in self.chat.history if (e := self._entry(m)) is not None]
        shown += [self._file_entry(stream_id) for stream_id in self._received]
        return tuple(sorted(shown, key=lambda e: e.sent_at))

    def _entry(self, message: rtc.ChatMessage) -> ChatEntry | None:
        s = self._session
        is_local = message.sender_identity == s.local_identity
        attachment = None
        if is_local and message.id in self._sent:
            path, size = self._sent[message.id]
            attachment = Attachment(message.id, path.name, size)
        elif not message.message.strip():
            return None  # announces a received file, which has an entry of its own
        return ChatEntry(
            id=message.id if is_local else f"{message.sender_identity}/{message.id}",
            sender_identity=message.sender_identity,
            sender_name=s.local_name if is_local else self._name(message.sender_identity),
            text=message.message,
            sent_at=datetime.fromtimestamp(message.timestamp / 1000, UTC),
            is_local=is_local,
            attachment=attachment,
            delivery=_DELIVERY[message.state],
            error=message.error,
        )

    def _file_entry(self, stream_id: str) -> ChatEntry:
        transfer, sender, arrived = self._incoming[stream_id]
        return ChatEntry(
            id=stream_id,
            sender_identity=sender,
            sender_name=self._name(sender),
            text="",
            sent_at=arrived,
            attachment=Attachment(stream_id, transfer.file_name, transfer.size),
        )

    def _changed(self, message: rtc.ChatMessage) -> None:
        entry = self._entry(message)
        if entry is None:
            return
        new = entry.id not in self._shown
        self._shown.add(entry.id)
        self._session._announce_chat(entry, new=new)

    def _name(self, identity: str) -> str:
        state = self._session.participant(identity)
        return state.display_name if state else identity

    # ----- sending -----------------------------------------------------------------------------

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

    async def send_file(self, path: Path) -> None:
        size = (await asyncio.to_thread(path.stat)).st_size
        s = self._session
        message_id = str(uuid.uuid4())
        self._sent[message_id] = (path, size)
        transfer = FileTransfer(message_id, path.name, size, 0, TransferState.ACTIVE, True)
        s._set_transfer(transfer)

        def progress(sent: int, total: int) -> None:
            s._set_transfer(replace(transfer, transferred=sent, size=total or size))

        sent = await self.chat.send(
            "", attachments=[path], on_progress=progress, message_id=message_id
        )
        if sent.state is rtc.DeliveryState.FAILED:
            s._set_transfer(replace(transfer, state=TransferState.FAILED, error=sent.error))
            raise SessionError(f"{path.name} was not sent ({sent.error}). Try again.")
        s._set_transfer(replace(transfer, transferred=size, state=TransferState.DONE))

    # ----- receiving files ----------------------------------------------------------------------

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
        except (LkdeskError, ConnectionError) as exc:
            s._set_transfer(replace(transfer, state=TransferState.FAILED, error=str(exc)))
            s._notice(f"{transfer.file_name} from {name} did not arrive completely.")
            return
        self._received[transfer.id] = b"".join(chunks)
        done = replace(transfer, size=got, transferred=got, state=TransferState.DONE)
        self._incoming[done.id] = (done, received.sender_identity, datetime.now(UTC))
        s._set_transfer(done)
        self._shown.add(done.id)
        s._announce_chat(self._file_entry(done.id), new=True)

    async def save_file(self, transfer_id: str, destination: Path) -> None:
        if transfer_id in self._received:
            await asyncio.to_thread(destination.write_bytes, self._received[transfer_id])
        elif transfer_id in self._sent:
            await asyncio.to_thread(shutil.copyfile, self._sent[transfer_id][0], destination)
        else:
            raise SessionError("That file is no longer available; ask the sender to send it again.")

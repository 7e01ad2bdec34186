"""Chat and file transfer in a real room, on LiveKit text and byte streams.

Topics follow LiveKit's components: chat on ``lk.chat``; files on ``lk.file``. The stream
API (``send_text``, ``send_file``, ``register_text_stream_handler``,
``register_byte_stream_handler``) is being added to lkdesk.rtc with the official SDK's
names; until then :attr:`ChatAndFiles.chat_feature` says chat is not available yet.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import shutil
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lkdesk.session.errors import NotAvailableError, SessionError
from lkdesk.session.model import Attachment, Feature, FileTransfer, TransferState
from lkdesk.session.tasks import TaskSet

if TYPE_CHECKING:
    from lkdesk.session.base import Session

logger = logging.getLogger(__name__)

CHAT_TOPIC = "lk.chat"
FILE_TOPIC = "lk.file"
_PENDING = "lkdesk's LiveKit client cannot send {what} yet (data streams are still being built)."


class ChatAndFiles:
    """Registers the stream handlers of one room and keeps received files in memory."""

    def __init__(self, session: Session, room: Any, tasks: TaskSet) -> None:
        self._session = session
        self._room = room
        self._tasks = tasks
        self._received: dict[str, bytes] = {}
        self._sent: dict[str, Path] = {}
        local = room.local_participant
        self.chat_feature = self._register(
            "register_text_stream_handler", CHAT_TOPIC, self._on_text, local, "send_text", "chat"
        )
        self.files_feature = self._register(
            "register_byte_stream_handler", FILE_TOPIC, self._on_bytes, local, "send_file", "files"
        )

    def _register(
        self, method: str, topic: str, handler: Any, local: Any, sender: str, what: str
    ) -> Feature:
        register = getattr(self._room, method, None)
        if register is None or not hasattr(local, sender):
            return Feature(False, _PENDING.format(what=what))
        register(topic, handler)
        return Feature(True)

    # ----- chat ------------------------------------------------------------------------------

    async def send_chat(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if not self.chat_feature.available:
            raise NotAvailableError(self.chat_feature.reason)
        await self._room.local_participant.send_text(text, topic=CHAT_TOPIC)
        s = self._session
        s._add_chat(s.local_identity, s.local_name, text)

    def _on_text(self, reader: Any, participant_identity: str) -> None:
        self._tasks.spawn(self._read_text(reader, participant_identity), "chat-in")

    async def _read_text(self, reader: Any, identity: str) -> None:
        text = await reader.read_all()
        self._session._add_chat(identity, self._name(identity), str(text))

    def _name(self, identity: str) -> str:
        state = self._session.participant(identity)
        return state.display_name if state else identity

    # ----- files -------------------------------------------------------------------------------

    async def send_file(self, path: Path) -> None:
        if not self.files_feature.available:
            raise NotAvailableError(self.files_feature.reason)
        size = (await asyncio.to_thread(path.stat)).st_size
        transfer = FileTransfer(uuid.uuid4().hex, path.name, size, 0, TransferState.ACTIVE, True)
        self._session._set_transfer(transfer)
        send = self._room.local_participant.send_file
        kwargs: dict[str, Any] = {"topic": FILE_TOPIC}
        if "on_progress" in inspect.signature(send).parameters:
            kwargs["on_progress"] = lambda sent: self._session._set_transfer(
                replace(transfer, transferred=int(sent))
            )
        try:
            await send(str(path), **kwargs)
        except Exception as exc:
            logger.exception("sending %s failed", path.name)
            self._session._set_transfer(
                replace(transfer, state=TransferState.FAILED, error="Sending failed; try again.")
            )
            raise SessionError(f"Sending {path.name} failed; try again.") from exc
        self._sent[transfer.id] = path
        self._session._set_transfer(replace(transfer, transferred=size, state=TransferState.DONE))
        s = self._session
        s._add_chat(
            s.local_identity, s.local_name, "", attachment=Attachment(transfer.id, path.name, size)
        )

    def _on_bytes(self, reader: Any, participant_identity: str) -> None:
        self._tasks.spawn(self._read_bytes(reader, participant_identity), "file-in")

    async def _read_bytes(self, reader: Any, identity: str) -> None:
        info = getattr(reader, "info", None)
        name = str(getattr(info, "name", "") or "file")
        size = int(getattr(info, "size", 0) or 0)
        transfer_id = str(getattr(info, "stream_id", "") or uuid.uuid4().hex)
        transfer = FileTransfer(
            transfer_id, name, size, 0, TransferState.ACTIVE, False, peer_name=self._name(identity)
        )
        self._session._set_transfer(transfer)
        chunks: list[bytes] = []
        received = 0
        async for chunk in reader:
            chunks.append(bytes(chunk))
            received += len(chunk)
            self._session._set_transfer(replace(transfer, transferred=received))
        self._received[transfer_id] = b"".join(chunks)
        done = replace(
            transfer, size=size or received, transferred=received, state=TransferState.DONE
        )
        self._session._set_transfer(done)
        self._session._add_chat(
            identity,
            self._name(identity),
            "",
            attachment=Attachment(transfer_id, name, done.size),
        )

    async def save_file(self, transfer_id: str, destination: Path) -> None:
        if transfer_id in self._received:
            await asyncio.to_thread(destination.write_bytes, self._received[transfer_id])
        elif transfer_id in self._sent:
            await asyncio.to_thread(shutil.copyfile, self._sent[transfer_id], destination)
        else:
            raise SessionError("That file is no longer available; ask the sender again.")

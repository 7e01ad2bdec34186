"""Local chat history per server and room, in SQLite under the platform data directory.

A browser tab forgets a call's chat when it closes; lkdesk keeps it on this computer so the
user can find "that link from Tuesday's stand-up". The database lives in the per-user data
directory (``$XDG_DATA_HOME/lkdesk``, ``~/Library/Application Support/lkdesk``,
``%LOCALAPPDATA%\\lkdesk``) readable by the user only, every query runs in a worker thread
(SQLite blocks), and nothing of it is ever logged: only counts and paths are.

:class:`HistoryRecorder` listens to one session and writes its messages and received files
through one writer task, so writes keep their order and a burst of messages is one
transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from lkdesk.core.tasks import TaskSet
from lkdesk.session.model import ChatDelivery, ChatEntry, FileTransfer, TransferState

logger = logging.getLogger(__name__)
_P = ParamSpec("_P")
_T = TypeVar("_T")

ENV_DATA_DIR = "LKDESK_DATA_DIR"
FILE_NAME = "history.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    server TEXT NOT NULL, room TEXT NOT NULL, id TEXT NOT NULL,
    sender_identity TEXT NOT NULL, sender_name TEXT NOT NULL, text TEXT NOT NULL,
    sent_at REAL NOT NULL, is_local INTEGER NOT NULL,
    PRIMARY KEY (server, room, id));
CREATE TABLE IF NOT EXISTS files (
    server TEXT NOT NULL, room TEXT NOT NULL, id TEXT NOT NULL,
    file_name TEXT NOT NULL, size INTEGER NOT NULL, peer_name TEXT NOT NULL,
    received_at REAL NOT NULL, saved_to TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (server, room, id));
CREATE INDEX IF NOT EXISTS messages_room ON messages (server, room, sent_at);
"""
_PUT_MESSAGE = "INSERT OR REPLACE INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_PUT_FILE = (
    "INSERT OR IGNORE INTO files (server, room, id, file_name, size, peer_name, received_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_FILE_SAVED = "UPDATE files SET saved_to = ? WHERE server = ? AND room = ? AND id = ?"


def default_data_dir() -> Path:
    """The per-user data directory: ``$LKDESK_DATA_DIR`` or the platform's convention."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override)
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return (Path(local) if local else Path.home() / "AppData" / "Local") / "lkdesk"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "lkdesk"
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "lkdesk"


@dataclass(frozen=True, slots=True)
class HistoryMessage:
    """A message kept from an earlier (or the current) call."""

    server: str
    room: str
    id: str
    sender_name: str
    text: str
    sent_at: datetime
    is_local: bool


@dataclass(frozen=True, slots=True)
class HistoryFile:
    """A file received in a call and, once saved, where it went (``saved_to``; "" if not)."""

    server: str
    room: str
    id: str
    file_name: str
    size: int
    peer_name: str
    received_at: datetime
    saved_to: str


class ChatHistory:
    """The history database. Every method runs its SQL in a worker thread."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_data_dir() / FILE_NAME
        self._ready = False

    # ----- writing ---------------------------------------------------------------------------

    async def add_messages(self, server: str, room: str, entries: list[ChatEntry]) -> None:
        """Keep (or update) these messages; file announcements are kept as files instead."""
        rows = [
            (
                server,
                room,
                e.id,
                e.sender_identity,
                e.sender_name,
                e.text,
                e.sent_at.timestamp(),
                int(e.is_local),
            )
            for e in entries
            if e.text and e.delivery in (ChatDelivery.SENT, ChatDelivery.RECEIVED)
        ]
        if rows:
            await self._run(self._write, _PUT_MESSAGE, rows)

    async def add_file(self, server: str, room: str, transfer: FileTransfer) -> None:
        """Keep a file received in full (its content stays in the call; only its name here)."""
        row = (
            server,
            room,
            transfer.id,
            transfer.file_name,
            transfer.size,
            transfer.peer_name,
            datetime.now(UTC).timestamp(),
        )
        await self._run(self._write, _PUT_FILE, [row])

    async def file_saved(self, server: str, room: str, transfer_id: str, path: Path) -> None:
        """Remember where the user saved a received file."""
        await self._run(self._write, _FILE_SAVED, [(str(path), server, room, transfer_id)])

    async def forget_room(self, server: str, room: str) -> int:
        """Delete one room's messages and files; how many messages went."""
        return await self._run(self._forget, "WHERE server = ? AND room = ?", (server, room))

    async def forget_all(self) -> int:
        """Delete the whole history (Settings → turning history off, "forget everything")."""
        return await self._run(self._forget, "", ())

    # ----- reading ----------------------------------------------------------------------------

    async def search(
        self, server: str, room: str, text: str = "", limit: int = 500
    ) -> tuple[HistoryMessage, ...]:
        """This room's messages containing ``text`` (any case; all when empty), oldest first."""
        return await self._run(self._search, server, room, text.strip(), limit)

    async def files(self, server: str, room: str) -> tuple[HistoryFile, ...]:
        """Files received in this room, newest first, with where each was saved."""
        return await self._run(self._files, server, room)

    # ----- in the worker thread -------------------------------------------------------------

    async def _run(self, call: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return await asyncio.to_thread(call, *args, **kwargs)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self._create()
        db = sqlite3.connect(self.path, timeout=5.0)
        try:
            with db:
                yield db
        finally:
            db.close()

    def _create(self) -> None:
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if sys.platform != "win32":
            os.chmod(folder, 0o700)
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
            os.chmod(self.path, 0o600)  # also when an older file was wider
        with contextlib.closing(sqlite3.connect(self.path, timeout=5.0)) as db, db:
            db.executescript(_SCHEMA)
        self._ready = True

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self._db() as db:
            db.executemany(sql, rows)

    def _forget(self, where: str, args: tuple[str, ...]) -> int:
        with self._db() as db:
            gone = db.execute(f"DELETE FROM messages {where}", args).rowcount
            db.execute(f"DELETE FROM files {where}", args)
        logger.info("chat history: forgot %d message(s)", gone)
        return int(gone)

    def _search(self, server: str, room: str, text: str, limit: int) -> tuple[HistoryMessage, ...]:
        sql = (
            "SELECT server, room, id, sender_name, text, sent_at, is_local FROM messages "
            "WHERE server = ? AND room = ?"
        )
        args: list[Any] = [server, room]
        if text:
            sql += " AND instr(lower(text), lower(?)) > 0"
            args.append(text)
        sql += " ORDER BY sent_at DESC LIMIT ?"
        args.append(limit)
        with self._db() as db:
            rows = db.execute(sql, args).fetchall()
        return tuple(
            HistoryMessage(s, r, i, name, body, _time(at), bool(local))
            for s, r, i, name, body, at, local in reversed(rows)
        )

    def _files(self, server: str, room: str) -> tuple[HistoryFile, ...]:
        with self._db() as db:
            rows = db.execute(
                "SELECT server, room, id, file_name, size, peer_name, received_at, saved_to "
                "FROM files WHERE server = ? AND room = ? ORDER BY received_at DESC",
                (server, room),
            ).fetchall()
        return tuple(
            HistoryFile(s, r, i, name, size, peer, _time(at), saved)
            for s, r, i, name, size, peer, at, saved in rows
        )


def _time(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class HistoryRecorder:
    """Writes one session's chat and received files to a :class:`ChatHistory`.

    Handlers only queue; one writer task does the SQL, in order, batching what piled up.
    """

    def __init__(self, history: ChatHistory, session: Any) -> None:
        self.history = history
        self._session = session
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._tasks = TaskSet("history")
        self._writer = self._tasks.spawn(self._write_all(), "writer")
        self._handlers: list[tuple[str, Any]] = [
            ("chat_message", self._on_chat),
            ("chat_updated", self._on_chat),
            ("transfer", self._on_transfer),
            ("file_saved", self._on_saved),
        ]
        for event, handler in self._handlers:
            session.on(event, handler)
        for entry in session.chat_history:
            self._on_chat(entry)

    @property
    def where(self) -> tuple[str, str]:
        """The (server, room) this call's history is kept under."""
        return self._session.server_label, self._session.room_name

    def _on_chat(self, entry: ChatEntry) -> None:
        self._queue.put_nowait(("message", entry))

    def _on_transfer(self, transfer: FileTransfer) -> None:
        if not transfer.outgoing and transfer.state is TransferState.DONE:
            self._queue.put_nowait(("file", transfer))

    def _on_saved(self, transfer_id: str, path: Path) -> None:
        self._queue.put_nowait(("saved", (transfer_id, path)))

    async def _write_all(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._write(batch)
            for _ in batch:
                self._queue.task_done()

    async def _write(self, batch: list[tuple[str, Any]]) -> None:
        server, room = self.where
        try:
            messages = [item for kind, item in batch if kind == "message"]
            await self.history.add_messages(server, room, messages)
            for kind, item in batch:
                if kind == "file":
                    await self.history.add_file(server, room, item)
                elif kind == "saved":
                    await self.history.file_saved(server, room, *item)
        except (sqlite3.Error, OSError) as exc:
            # the call goes on without history; the error names no content
            logger.warning("chat history not written: %s", type(exc).__name__)

    async def flush(self) -> None:
        """Wait until everything heard so far is written."""
        await self._queue.join()

    async def aclose(self) -> None:
        """Write what is queued, stop listening and stop the writer."""
        for event, handler in self._handlers:
            self._session.off(event, handler)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self.flush()
        await self._tasks.aclose()

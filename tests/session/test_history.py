"""Local chat history: a demo call's messages and received files land in SQLite (user-only
file), are found again by text in a later session, and "forget this room" removes them."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path
from typing import Any

from lkdesk.session import DemoConfig, DemoSession, JoinOptions
from lkdesk.session.history import ChatHistory, HistoryRecorder

FAST = DemoConfig(
    connect_delay_s=0.01, reply_delay_s=(0.05, 0.1), churn=False, chatter=False, seed=3
)


async def wait_for(condition: Any, deadline_s: float = 5.0) -> None:
    async with asyncio.timeout(deadline_s):
        while not condition():  # noqa: ASYNC110 (polling a plain condition)
            await asyncio.sleep(0.01)


async def test_a_calls_chat_is_kept_searchable_and_forgotten_per_room(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history.sqlite3"
    history = ChatHistory(path)
    session = DemoSession("Sam", FAST)
    recorder = HistoryRecorder(history, session)
    try:
        await session.join(JoinOptions("Sam", mic_on=False, camera_on=False))
        await session.send_chat("the budget sheet is at https://example.com/q3")
        await wait_for(lambda: len(session.chat_history) >= 2)  # someone answers
        await recorder.flush()
    finally:
        await recorder.aclose()
        await session.aclose()
    server, room = session.server_label, session.room_name

    # a later session (a new object on the same file) finds the message by any case
    later = ChatHistory(path)
    found = await later.search(server, room, "BUDGET sheet")
    assert [m.text for m in found] == ["the budget sheet is at https://example.com/q3"]
    assert found[0].is_local and found[0].sender_name == "Sam"
    everything = await later.search(server, room)
    assert len(everything) == 2 and not everything[1].is_local
    assert await later.search(server, "another room") == ()

    # the file is the user's alone, in a folder only they can enter
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    assert await later.forget_room(server, room) == 2
    assert await later.search(server, room) == ()
    with sqlite3.connect(path) as db:  # really gone from the file
        assert db.execute("SELECT count(*) FROM messages").fetchone() == (0,)


async def test_received_files_are_listed_with_where_they_were_saved(tmp_path: Path) -> None:
    history = ChatHistory(tmp_path / "history.sqlite3")
    session = DemoSession("Sam", FAST)
    recorder = HistoryRecorder(history, session)
    try:
        await session.join(JoinOptions("Sam", mic_on=False, camera_on=False))
        session.simulate_file_from_someone()  # the demo's "agenda.txt"
        await wait_for(lambda: any(e.attachment for e in session.chat_history))
        entry = next(e for e in session.chat_history if e.attachment)
        assert entry.attachment is not None
        await recorder.flush()
        files = await history.files(session.server_label, session.room_name)
        assert [(f.file_name, f.saved_to) for f in files] == [("agenda.txt", "")]
        target = tmp_path / "saved-agenda.txt"
        await session.save_file(entry.attachment.transfer_id, target)
        await recorder.flush()
    finally:
        await recorder.aclose()
        await session.aclose()
    files = await history.files(session.server_label, session.room_name)
    assert files[0].saved_to == str(target) and files[0].size == target.stat().st_size

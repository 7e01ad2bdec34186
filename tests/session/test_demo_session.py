"""DemoSession without Qt: people, moving video, levels, chat replies, admin, clean close."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from lkdesk.session import (
    DemoConfig,
    DemoSession,
    JoinOptions,
    SessionState,
    TileKey,
)

FAST = DemoConfig(
    connect_delay_s=0.01, reply_delay_s=(0.05, 0.1), churn=False, chatter=False, seed=1
)


async def wait_for(condition: Any, deadline_s: float = 3.0) -> None:
    async with asyncio.timeout(deadline_s):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


async def test_join_brings_four_people_with_moving_video() -> None:
    session = DemoSession("Sam", FAST)
    frames: Counter[TileKey] = Counter()
    last: dict[TileKey, Any] = {}
    first: dict[TileKey, Any] = {}

    def on_frame(key: TileKey, frame: Any) -> None:
        frames[key] += 1
        first.setdefault(key, frame)
        last[key] = frame

    session.on("video_frame", on_frame)
    try:
        await session.join(JoinOptions("Sam", mic_on=True, camera_on=True))
        assert session.status.state is SessionState.CONNECTED
        people = session.participants
        assert people[0].is_local and people[0].name == "Sam"
        assert len(people) == 5
        await wait_for(lambda: len([k for k, n in frames.items() if n >= 5]) >= 4)
        moving = [k for k in frames if not np.array_equal(first[k], last[k])]
        assert len(moving) >= 4
        assert all(f.shape == (270, 480, 3) and f.dtype == np.uint8 for f in last.values())
        await wait_for(lambda: any(p.speaking for p in session.participants))
    finally:
        await session.aclose()


async def test_chat_gets_a_reply_and_history_is_kept() -> None:
    session = DemoSession("Sam", FAST)
    try:
        await session.join(JoinOptions("Sam"))
        await session.send_chat("hello?")
        await wait_for(lambda: len(session.chat_history) == 2)
        mine, reply = session.chat_history
        assert mine.is_local and mine.sender_name == "Sam" and mine.text == "hello?"
        assert not reply.is_local and reply.text
    finally:
        await session.aclose()


async def test_files_travel_and_can_be_saved(tmp_path: Path) -> None:
    session = DemoSession("Sam", FAST)
    source = tmp_path / "a.bin"
    source.write_bytes(b"x" * 5000)
    progress: list[int] = []
    session.on("transfer", lambda t: progress.append(t.transferred))
    try:
        await session.join(JoinOptions("Sam"))
        await session.send_file(source)
        assert progress[0] == 0 and progress[-1] == 5000 and progress == sorted(progress)
        (message,) = [m for m in session.chat_history if m.attachment]
        assert message.attachment is not None
        await session.save_file(message.attachment.transfer_id, tmp_path / "b.bin")
        assert (tmp_path / "b.bin").read_bytes() == source.read_bytes()
    finally:
        await session.aclose()


async def test_admin_actions_change_the_room() -> None:
    session = DemoSession("Sam", FAST)
    left: list[tuple[str, str]] = []
    session.on("participant_left", lambda p, reason: left.append((p.identity, reason)))
    try:
        await session.join(JoinOptions("Sam"))
        await session.mute_participant("amara")
        assert session.participant("amara") is not None
        assert not session.participant("amara").mic_on  # type: ignore[union-attr]
        await session.set_participant_can_publish("ben", False)
        ben = session.participant("ben")
        assert ben is not None and not ben.can_publish and not ben.camera_on
        await session.remove_participant("chen")
        assert ("chen", "removed") in left and session.participant("chen") is None
    finally:
        await session.aclose()


async def test_leave_ends_by_user_and_close_leaves_no_task() -> None:
    session = DemoSession("Sam", DemoConfig(connect_delay_s=0.01, seed=2))
    await session.start_preview(camera=True, microphone=True)
    await session.join(JoinOptions("Sam"))
    await session.leave()
    assert session.status.state is SessionState.ENDED and session.status.by_user
    assert session.participants == ()
    await session.aclose()
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []

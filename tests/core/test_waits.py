"""first_set: which of two events came first, within a limit."""

from __future__ import annotations

import asyncio

from lkdesk.core.waits import first_set


async def test_good_first_is_true_bad_first_is_false_and_neither_is_false() -> None:
    good, bad = asyncio.Event(), asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, good.set)
    assert await first_set(good, bad, 1.0)
    good, bad = asyncio.Event(), asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, bad.set)
    assert not await first_set(good, bad, 1.0)
    assert not await first_set(asyncio.Event(), asyncio.Event(), 0.01)


async def test_an_event_already_set_answers_without_a_task_or_a_loop_turn() -> None:
    good, bad = asyncio.Event(), asyncio.Event()
    good.set()
    tasks_before = len(asyncio.all_tasks())
    turns = 0

    def count() -> None:
        nonlocal turns
        turns += 1

    asyncio.get_running_loop().call_soon(count)
    assert await first_set(good, bad, 1.0)
    assert turns == 0  # the call_soon above has not run: first_set never yielded
    assert len(asyncio.all_tasks()) == tasks_before
    bad.set()
    assert await first_set(good, bad, 1.0)  # good is set: good won
    good.clear()
    assert not await first_set(good, bad, 1.0)

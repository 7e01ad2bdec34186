"""ThreadHandoff: bounded, drop-oldest, wakes the loop, closes with or without an error."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from lkdesk.media._blocking import run_blocking
from lkdesk.media._handoff import HandoffClosed, ThreadHandoff


async def test_items_from_a_thread_arrive_in_order_when_the_consumer_keeps_up() -> None:
    handoff: ThreadHandoff[int] = ThreadHandoff(asyncio.get_running_loop(), maxlen=1000)
    thread = threading.Thread(target=lambda: [handoff.put(i) for i in range(500)])
    thread.start()
    got = [await handoff.get() for _ in range(500)]
    thread.join()
    assert got == list(range(500))
    assert handoff.dropped == 0


async def test_a_slow_consumer_gets_the_newest_items_and_drops_are_counted() -> None:
    handoff: ThreadHandoff[int] = ThreadHandoff(asyncio.get_running_loop(), maxlen=3)
    thread = threading.Thread(target=lambda: [handoff.put(i) for i in range(100)])
    thread.start()
    thread.join()
    assert [await handoff.get() for _ in range(3)] == [97, 98, 99]
    assert handoff.dropped == 97


async def test_wake_ups_are_coalesced_so_the_loop_queue_stays_small() -> None:
    loop = asyncio.get_running_loop()
    handoff: ThreadHandoff[int] = ThreadHandoff(loop, maxlen=1)
    for i in range(10_000):
        handoff.put(i)  # the loop is not running callbacks meanwhile
    assert len(loop._ready) <= 1  # type: ignore[attr-defined]
    assert handoff.latest() == 9999


async def test_close_wakes_a_waiter_and_error_close_raises_after_draining() -> None:
    handoff: ThreadHandoff[int] = ThreadHandoff(asyncio.get_running_loop(), maxlen=4)
    waiter = asyncio.create_task(handoff.get())
    await asyncio.sleep(0)
    handoff.close()
    with pytest.raises(HandoffClosed):
        await waiter

    failing: ThreadHandoff[int] = ThreadHandoff(asyncio.get_running_loop(), maxlen=4)
    failing.put(1)
    failing.close(RuntimeError("gone"))
    assert await failing.get() == 1
    with pytest.raises(RuntimeError, match="gone"):
        await failing.get()


async def test_cancelled_open_is_finished_and_undone_before_cancel_returns() -> None:
    """Cancelling mid-open waits for the open, then closes what it opened, in order."""

    events: list[str] = []

    def slow_open() -> str:
        time.sleep(0.3)
        events.append("opened")
        return "device"

    def close(device: str) -> None:
        events.append(f"closed {device}")

    task = asyncio.create_task(run_blocking(slow_open, name="t", time_limit=5, cleanup=close))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert events == ["opened", "closed device"]
    assert not [t for t in threading.enumerate() if t.name in ("t", "lkdesk-cleanup")]

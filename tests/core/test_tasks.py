"""Owned tasks: cancelling others never swallows the canceller's own cancellation."""

from __future__ import annotations

import asyncio

import pytest

from lkdesk.core.tasks import TaskSet, cancel_and_wait


async def test_cancel_and_wait_finishes_every_task() -> None:
    tasks = [asyncio.create_task(asyncio.sleep(10)) for _ in range(3)]
    await cancel_and_wait([*tasks, None])
    assert all(t.cancelled() for t in tasks)


async def test_a_closer_that_is_cancelled_while_waiting_stays_cancelled() -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await release.wait()  # takes its time to finish
            raise

    victim = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    closer = asyncio.create_task(cancel_and_wait([victim]))
    await asyncio.sleep(0.01)
    closer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closer  # the old `suppress(CancelledError): await task` swallowed this
    release.set()
    await asyncio.wait([victim])


async def test_cancel_and_wait_skips_the_current_task() -> None:
    async def close_myself() -> str:
        await cancel_and_wait([asyncio.current_task()])
        return "still running"

    assert await asyncio.create_task(close_myself()) == "still running"


async def test_task_set_reports_failures_and_refuses_work_once_closed() -> None:
    errors: list[BaseException] = []
    tasks = TaskSet("t", on_error=errors.append)

    async def fail() -> None:
        raise ValueError("boom")

    await asyncio.wait([tasks.spawn(fail(), "fail")])
    assert [str(e) for e in errors] == ["boom"]
    tasks.spawn(asyncio.sleep(10), "sleeper")
    await tasks.aclose()
    assert len(tasks) == 0
    coro = asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        tasks.spawn(coro, "late")


async def test_waiting_on_a_task_set_lets_every_task_finish_uncancelled() -> None:
    tasks = TaskSet("t")
    finished: list[int] = []

    async def work(n: int) -> None:
        await asyncio.sleep(0.01 * n)
        finished.append(n)

    for n in (3, 1, 2):
        tasks.spawn(work(n), f"work-{n}")
    await tasks.wait()
    assert sorted(finished) == [1, 2, 3] and len(tasks) == 0

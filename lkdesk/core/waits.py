"""Small waiting helpers shared by the peer connections and the room."""

from __future__ import annotations

import asyncio
import contextlib


async def first_set(good: asyncio.Event, bad: asyncio.Event, limit_s: float) -> bool:
    """Wait until one event is set (or ``limit_s`` passes); True only if ``good`` won.

    Returns at once, without a task or a loop iteration, when one is set already: every
    data packet sent asks whether the publisher is connected.
    """
    if good.is_set() or bad.is_set():
        return good.is_set()
    waiters = {asyncio.create_task(good.wait()), asyncio.create_task(bad.wait())}
    try:
        await asyncio.wait(waiters, timeout=limit_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waiters:
            task.cancel()
        for task in waiters:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return good.is_set()

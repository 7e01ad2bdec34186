"""Own every background task: keep a reference, log failures, cancel and await on close."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

logger = logging.getLogger(__name__)


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any] | None]) -> None:
    """Cancel ``tasks`` and wait until each has finished.

    Unlike ``with suppress(CancelledError): await task``, a cancellation of the *caller*
    while it waits still propagates: ``asyncio.wait`` never raises the tasks' own errors.
    The current task is never cancelled by itself.
    """
    current = asyncio.current_task()
    pending = [t for t in tasks if t is not None and t is not current and not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)


class TaskSet:
    """A set of tasks with one owner. ``on_error`` hears about failures (not cancellation)."""

    def __init__(self, name: str, on_error: Callable[[BaseException], None] | None = None) -> None:
        self._name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self._on_error = on_error
        self._closed = False

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Start ``coro`` as a task this set owns."""
        if self._closed:
            coro.close()
            raise RuntimeError(f"{self._name}: task set is closed")
        task = asyncio.get_running_loop().create_task(coro, name=f"{self._name}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            logger.error("task %s failed", task.get_name(), exc_info=error)
            if self._on_error is not None:
                self._on_error(error)

    async def wait(self) -> None:
        """Wait until every task has finished on its own (none is cancelled)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def cancel(self, task: asyncio.Task[Any] | None) -> None:
        """Cancel one task and wait for it (our own cancellation still propagates)."""
        await cancel_and_wait([task])

    async def aclose(self) -> None:
        """Cancel every task and wait until all have finished."""
        self._closed = True
        await self.cancel_all()

    async def cancel_all(self) -> None:
        """Cancel every task now owned, keep accepting new ones."""
        await cancel_and_wait(list(self._tasks))

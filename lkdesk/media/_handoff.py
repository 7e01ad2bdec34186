"""A bounded hand-off from one producer thread to the asyncio loop.

The producer (a PortAudio callback, a capture thread) only appends to a ``deque`` with a
``maxlen`` (which drops the oldest item atomically, with no fullness check in the thread) and
schedules at most one pending wake-up with ``loop.call_soon_threadsafe``. So neither the item
buffer nor the loop's callback queue can grow without bound however slow the consumer is.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class HandoffClosed(Exception):
    """Raised by :meth:`ThreadHandoff.get` after a normal close once drained."""


class ThreadHandoff(Generic[T]):
    """Latest-``maxlen`` items from a thread; ``get`` on the loop drops nothing it can give."""

    def __init__(self, loop: asyncio.AbstractEventLoop, maxlen: int) -> None:
        if maxlen < 1:
            raise ValueError("maxlen must be >= 1")
        self._loop = loop
        self._items: deque[T] = deque(maxlen=maxlen)
        self._wake_pending = False
        self._ready = asyncio.Event()
        self._closed = False
        self._close_exc: BaseException | None = None
        self._put = 0
        self._got = 0

    @property
    def maxlen(self) -> int:
        return self._items.maxlen or 0

    @property
    def dropped(self) -> int:
        """Items the producer put that were overwritten before anyone took them."""
        return max(self._put - self._got - len(self._items), 0)

    def put(self, item: T) -> bool:
        """Append from any thread (oldest dropped when full); False if the loop is gone."""
        self._items.append(item)
        self._put += 1
        if self._wake_pending:
            return True
        self._wake_pending = True
        try:
            self._loop.call_soon_threadsafe(self._wake)
        except RuntimeError:  # loop closed: nobody will read any more
            return False
        return True

    def _wake(self) -> None:
        self._wake_pending = False  # cleared before the consumer drains: no lost wake-up
        self._ready.set()

    def get_nowait(self) -> T | None:
        """The oldest buffered item, or None."""
        if not self._items:
            return None
        self._got += 1
        return self._items.popleft()

    def latest(self) -> T | None:
        """The newest buffered item, discarding older ones; None if empty."""
        item: T | None = None
        while self._items:
            item = self._items.popleft()
            self._got += 1
        return item

    async def get(self) -> T:
        """Wait for the next item; after :meth:`close`, drain then raise."""
        while True:
            if self._items:
                self._got += 1
                return self._items.popleft()
            if self._closed:
                raise self._close_exc if self._close_exc is not None else HandoffClosed()
            self._ready.clear()
            await self._ready.wait()

    def close(self, exc: BaseException | None = None) -> None:
        """Loop side: no more items will be awaited; waiters wake and see ``exc``."""
        if not self._closed:
            self._closed = True
            self._close_exc = exc
        self._ready.set()

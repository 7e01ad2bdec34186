"""The asyncio loop on Qt's event loop (qasync), without one qasync 0.28 pitfall.

qasync runs every asyncio callback from a Qt timer event. Whenever Qt events are processed
while the asyncio loop is not "running" (the extra ``processEvents`` qasync does after
``run_until_complete``, pytest-qt's ``processEvents`` between tests, an application's own
``processEvents``), those callbacks run with no running loop: ``asyncio.sleep`` raises
"no running event loop" and asyncio queues get bound to "a different event loop". This
loop marks itself running for the duration of each such callback, and skips the extra
``processEvents`` after ``run_until_complete``.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import socket
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import qasync
from PySide6.QtCore import QSocketNotifier, QTimerEvent
from PySide6.QtWidgets import QApplication

_T = TypeVar("_T")


class _LoopTimer(qasync._SimpleTimer):  # type: ignore[misc]
    """qasync's callback timer, running each callback with its loop set as running."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop = loop

    def timerEvent(self, event: QTimerEvent) -> None:
        if asyncio.events._get_running_loop() is not None or self._loop.is_closed():
            super().timerEvent(event)
            return
        asyncio.events._set_running_loop(self._loop)
        try:
            super().timerEvent(event)
        finally:
            asyncio.events._set_running_loop(None)


class _ThreadsafeWakeup:
    """Callbacks handed over from other threads without Qt ever carrying a Python object.

    qasync's ``call_soon_threadsafe`` emits a queued Qt signal with the callback and its
    arguments. Under load (aiortc's decoder threads hand the loop every decoded frame, a few
    hundred times a second with a busy grid) PySide6's cross-thread marshalling of those
    objects corrupts a reference count and the process aborts ("deallocating None"). Here
    other threads append to a deque and write one byte to a socket pair; a QSocketNotifier on
    the loop's thread drains the deque, as asyncio's own selector loop does.
    """

    def __init__(self, loop: QtAsyncLoop) -> None:
        self._loop = loop
        self._pending: collections.deque[tuple[Callable[..., object], tuple[Any, ...], Any]] = (
            collections.deque()
        )
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._drain)

    def post(self, callback: Callable[..., object], args: tuple[Any, ...], context: Any) -> None:
        self._pending.append((callback, args, context))
        with contextlib.suppress(BlockingIOError, OSError):
            self._writer.send(b"\0")  # a full buffer already means "wake up"

    def _drain(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while self._reader.recv(4096):
                pass
        while self._pending:
            callback, args, context = self._pending.popleft()
            self._loop.call_soon(callback, *args, context=context)

    def close(self) -> None:
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


class QtAsyncLoop(qasync.QEventLoop):  # type: ignore[misc]
    """``qasync.QEventLoop`` that never runs an asyncio callback outside its loop, and
    takes callbacks from other threads without passing Python objects through Qt."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._timer = _LoopTimer(self)
        self._wakeup = _ThreadsafeWakeup(self)
        # qasync's default executor runs Python callables on QThreads; plain threads keep
        # Qt out of work that never touches it (frame conversion, blocking device calls).
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="lkdesk-worker"
        )
        self.set_default_executor(self._executor)

    def call_soon_threadsafe(
        self, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> None:
        self._wakeup.post(callback, args, context)

    def close(self) -> None:
        super().close()
        self._wakeup.close()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def run_until_complete(self, future: Coroutine[Any, Any, _T] | asyncio.Future[_T]) -> _T:
        task = asyncio.ensure_future(future, loop=self)

        def stop(_: object) -> None:
            self.stop()

        task.add_done_callback(stop)
        try:
            self.run_forever()
        finally:
            task.remove_done_callback(stop)
        if not task.done():
            raise RuntimeError("Event loop stopped before Future completed.")
        return task.result()


def new_loop(app: QApplication | None = None) -> QtAsyncLoop:
    """A loop on ``app`` (the existing QApplication by default)."""
    instance = app or QApplication.instance()
    if not isinstance(instance, QApplication):
        raise RuntimeError("create the QApplication before the loop")
    return QtAsyncLoop(instance)


def run(main: Coroutine[Any, Any, _T], app: QApplication) -> _T:
    """Run ``main`` to completion on a :class:`QtAsyncLoop`, then shut the loop down."""
    runner = asyncio.Runner(loop_factory=lambda: new_loop(app))
    with runner:
        return runner.run(main)

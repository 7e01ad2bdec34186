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
from collections.abc import Coroutine
from typing import Any, TypeVar

import qasync
from PySide6.QtCore import QTimerEvent
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


class QtAsyncLoop(qasync.QEventLoop):  # type: ignore[misc]
    """``qasync.QEventLoop`` that never runs an asyncio callback outside its loop."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._timer = _LoopTimer(self)

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

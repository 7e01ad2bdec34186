"""pytest-qt + qasync for lkdesk's UI tests, with leak guards.

* Async tests run on one qasync ``QEventLoop`` for the whole session, as the app has one
  loop: with a loop per test, work of one test's closing devices could land on the next
  loop (qasync loops share Qt's dispatcher). Each test module sets ``loop_scope="session"``.
* After each test no QTimer started from Python may still be active, no QThread running,
  and no asyncio task left but the test's own.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QThread, QTimer
from PySide6.QtWidgets import QApplication

from lkdesk.session import DemoConfig, ProfileBook, SessionFactory
from lkdesk.ui import AppSettings, MainWindow
from tests.integration.conftest import livekit_server, room_name  # noqa: F401 (fixtures)

FAST_DEMO = DemoConfig(
    connect_delay_s=0.05, reply_delay_s=(0.1, 0.3), churn=False, chatter=False, seed=7
)


def _qasync_loop() -> asyncio.AbstractEventLoop:
    from lkdesk.ui.loop import new_loop

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    return new_loop(app)


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    return {"qasync": _qasync_loop}


@pytest.fixture(autouse=True)
def _no_stray_qt_objects(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    timers: weakref.WeakSet[QTimer] = weakref.WeakSet()
    threads: weakref.WeakSet[QThread] = weakref.WeakSet()
    timer_start, thread_start = QTimer.start, QThread.start

    def start_timer(self: QTimer, *args: Any) -> None:
        timers.add(self)
        timer_start(self, *args)

    def start_thread(self: QThread, *args: Any) -> None:
        threads.add(self)
        thread_start(self, *args)

    monkeypatch.setattr(QTimer, "start", start_timer)
    monkeypatch.setattr(QThread, "start", start_thread)
    yield
    active = [t for t in timers if _alive(t) and t.isActive()]
    running = [
        t for t in threads if _alive(t) and t.isRunning() and type(t).__name__ != "_QThreadWorker"
    ]  # qasync's executor workers belong to the session's loop, not to a test
    assert not active, f"test left {len(active)} QTimer(s) running: {active}"
    assert not running, f"test left {len(running)} QThread(s) running: {running}"


def _alive(obj: Any) -> bool:
    from shiboken6 import isValid

    return bool(isValid(obj))


@pytest_asyncio.fixture(autouse=True, loop_scope="session")
async def _no_stray_tasks() -> AsyncIterator[None]:
    yield
    current = asyncio.current_task()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.0  # a task already cancelled may need a few loop turns
    while True:
        stray = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        if not stray or loop.time() > deadline:
            break
        await asyncio.sleep(0.02)
    for task in stray:
        task.cancel()
    assert not stray, f"test left asyncio task(s): {[t.get_name() for t in stray]}"


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest_asyncio.fixture(loop_scope="session")
async def window(qtbot: Any, tmp_path: Path, settings: AppSettings) -> AsyncIterator[MainWindow]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # closing the window must not stop the test's loop
    book = ProfileBook.session_only(tmp_path / "config")
    win = MainWindow(SessionFactory(book, FAST_DEMO), settings)
    yield win
    win.close()
    await win.aclose()
    win.deleteLater()

"""Guards against Qt binding bugs that would crash the app under load."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


class _Ticker(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.events = 0

    def timerEvent(self, event: object) -> None:
        self.events += 1
        self.killTimer(event.timerId())  # type: ignore[attr-defined]


def test_timers_do_not_leak_references_to_none(qapp: object) -> None:
    """qasync runs every asyncio callback through startTimer/timerEvent/killTimer.

    PySide6 6.12.0 loses one reference to None per killTimer() call and per Python
    timerEvent override; on Python 3.11 that aborts a busy app ("deallocating None").
    """
    ticker = _Ticker()
    before = sys.getrefcount(None)
    for _ in range(2000):
        ticker.killTimer(ticker.startTimer(60_000))
    assert sys.getrefcount(None) - before >= -10, "killTimer() leaks references to None"
    before = sys.getrefcount(None)
    for _ in range(500):
        ticker.startTimer(0)
    while ticker.events < 500:
        qapp.processEvents()  # type: ignore[attr-defined]
    assert sys.getrefcount(None) - before >= -10, "timerEvent() leaks references to None"

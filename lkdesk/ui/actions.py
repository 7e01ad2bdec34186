"""``ActionRunner``: runs the UI's async work as owned tasks and turns failures into messages.

A failing user action never shows a traceback: lkdesk's own errors carry a message that
says what to do; anything else is logged and reported in general words.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

from lkdesk.core.errors import LkdeskError
from lkdesk.core.tasks import TaskSet

logger = logging.getLogger(__name__)


class ActionRunner(QObject):
    """``run(coro, what)`` starts ``coro``; ``failed(message)`` when it raises."""

    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = TaskSet("ui")

    def run(
        self,
        coro: Coroutine[Any, Any, Any],
        what: str,
        on_error: Callable[[str], None] | None = None,
    ) -> asyncio.Task[Any]:
        """Start ``coro``. ``what`` finishes "Could not …" in the generic failure message."""
        return self._tasks.spawn(self._guard(coro, what, on_error), what)

    async def _guard(
        self, coro: Coroutine[Any, Any, Any], what: str, on_error: Callable[[str], None] | None
    ) -> None:
        try:
            await coro
        except LkdeskError as exc:
            logger.info("could not %s: %s", what, exc)
            self._report(str(exc), on_error)
        except Exception:
            logger.exception("could not %s", what)
            self._report(
                f"Could not {what} because of an unexpected problem. "
                "Try again; if it keeps happening, the log has the details.",
                on_error,
            )

    def _report(self, message: str, on_error: Callable[[str], None] | None) -> None:
        if on_error is not None:
            on_error(message)
        else:
            self.failed.emit(message)

    def __len__(self) -> int:
        return len(self._tasks)

    async def aclose(self) -> None:
        """Cancel every running action and wait for them."""
        await self._tasks.aclose()

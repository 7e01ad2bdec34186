"""When and how often to reconnect after the connection is lost, and the loop that does it.

lkdesk rejoins fully (new session, same identity). Delays follow livekit-client's
``DefaultReconnectPolicy``; errors another attempt cannot fix (a rejected token, a deleted
room) stop retrying at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from livekit.protocol import models as proto_models

from lkdesk.core.errors import (
    AuthenticationError,
    InvalidUrlError,
    LkdeskError,
    PermissionDeniedError,
    RoomNotFoundError,
)
from lkdesk.core.tasks import TaskSet, cancel_and_wait
from lkdesk.rtc.engine.events import LinkState

if TYPE_CHECKING:
    from lkdesk.rtc.engine.engine import RtcEngine

logger = logging.getLogger(__name__)

RECONNECT_DELAYS_S: tuple[float, ...] = (0.0, 0.3, 1.2, 2.7, 4.8, 7.0, 7.0, 7.0, 7.0, 7.0)

_FINAL = (AuthenticationError, PermissionDeniedError, RoomNotFoundError, InvalidUrlError)


def is_final(error: LkdeskError) -> bool:
    """True when retrying cannot help (the user must act: new token, other room)."""
    return isinstance(error, _FINAL)


class Reconnector:
    """Owns the reconnect loop and any close started from inside a callback."""

    def __init__(self, engine: RtcEngine) -> None:
        self._engine = engine
        self._task: asyncio.Task[None] | None = None
        self._closers = TaskSet("engine-close")

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="lkdesk-reconnect"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait([task])

    def spawn_close(self, reason: int) -> None:
        self._closers.spawn(self._engine.close(reason, send_leave=False), "close")

    async def _run(self) -> None:
        engine = self._engine
        for attempt, delay in enumerate(RECONNECT_DELAYS_S, start=1):
            await asyncio.sleep(delay)
            await engine.end_session(send_leave=False)
            try:
                await engine.start_session(rejoin=True)
                await engine.restore_after_rejoin()
            except LkdeskError as error:
                logger.warning("reconnect attempt %d failed: %s", attempt, error)
                if is_final(error):
                    break
                continue
            except (OSError, ValueError) as error:  # aiortc/aioice failing mid-negotiation
                logger.warning("reconnect attempt %d failed: %r", attempt, error)
                continue
            engine.set_state(LinkState.CONNECTED)
            return
        await engine.close(proto_models.DisconnectReason.SIGNAL_CLOSE, send_leave=False)

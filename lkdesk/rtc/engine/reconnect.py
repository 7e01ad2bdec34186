"""When and how often to reconnect after the connection is lost, and the loop that does it.

A reconnect first tries to *resume* the session (same participant, tracks and data
channels; signalling reconnected, ICE restarted: PROTOCOL_NOTES §6), and falls back to a
*full rejoin* (new session, same identity) when the server refuses to resume, resuming is
disabled, or a resume failed for any reason but an unreachable server. Delays follow
livekit-client's ``DefaultReconnectPolicy`` (with up to 1 s of jitter from the third try);
errors another attempt cannot fix (a rejected token, a deleted room) stop retrying at once.
While the server is unreachable the next attempt starts as soon as it answers again
(server_watch.py), never later than the schedule.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING

from livekit.protocol import models as proto_models

from lkdesk.core.errors import (
    AuthenticationError,
    InvalidUrlError,
    LkdeskError,
    PermissionDeniedError,
    RoomNotFoundError,
    ServerUnreachableError,
)
from lkdesk.core.tasks import TaskSet, cancel_and_wait
from lkdesk.rtc.engine.adapt import IceRestartError
from lkdesk.rtc.engine.events import LinkState, SessionLost
from lkdesk.rtc.engine.server_watch import wait_until_back
from lkdesk.rtc.engine.signal_client import ResumeRefused

if TYPE_CHECKING:
    from lkdesk.rtc.engine.engine import RtcEngine

logger = logging.getLogger(__name__)

RECONNECT_DELAYS_S: tuple[float, ...] = (0.0, 0.3, 1.2, 2.7, 4.8, 7.0, 7.0, 7.0, 7.0, 7.0)
#: Resumes whose ICE restart fails (the path is still down) before a full rejoin is tried.
MAX_ICE_RESTARTS = 3

_FINAL = (AuthenticationError, PermissionDeniedError, RoomNotFoundError, InvalidUrlError)


def is_final(error: LkdeskError) -> bool:
    """True when retrying cannot help (the user must act: new token, other room)."""
    return isinstance(error, _FINAL)


def delays(rng: random.Random | None = None) -> Iterator[float]:
    """The wait before each attempt: the JS SDK's schedule, jittered from the third try."""
    rng = rng or random.Random()
    for attempt, delay in enumerate(RECONNECT_DELAYS_S):
        yield delay + (rng.uniform(0.0, 1.0) if attempt >= 2 else 0.0)


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
        resume = engine.can_resume()
        session_lost = False
        ice_failures = 0
        unreachable = False
        for attempt, delay in enumerate(delays(), start=1):
            if unreachable:  # the next attempt as soon as the server is back
                await wait_until_back(engine.url, delay)
            else:
                await asyncio.sleep(delay)
            unreachable = False
            if resume:
                try:
                    await engine.resume_session()
                except ServerUnreachableError as error:
                    logger.warning("resume attempt %d: %s", attempt, error)
                    unreachable = True
                    continue  # the server may come back with our session intact
                except (IceRestartError, TimeoutError) as error:
                    ice_failures += 1
                    logger.warning("resume attempt %d: ICE did not come back (%r)", attempt, error)
                    if ice_failures < MAX_ICE_RESTARTS:
                        continue  # the outage may not be over: restart ICE again
                except (LkdeskError, OSError, ValueError) as error:
                    logger.warning("resume attempt %d failed (%s); rejoining", attempt, error)
                    resume = False
                    if not isinstance(error, ResumeRefused):
                        continue
                else:
                    engine.set_state(LinkState.CONNECTED)
                    return
            if not session_lost:
                session_lost = True
                engine.data.prepare_rejoin()
                engine.emit(SessionLost())
            await engine.end_session(send_leave=False, wait=False)
            try:
                await engine.start_session(rejoin=True)
                await engine.restore_after_rejoin()
            except LkdeskError as error:
                logger.warning("reconnect attempt %d failed: %s", attempt, error)
                if is_final(error):
                    break
                unreachable = isinstance(error, ServerUnreachableError)
                continue
            except (OSError, ValueError) as error:  # aiortc/aioice failing mid-negotiation
                logger.warning("reconnect attempt %d failed: %r", attempt, error)
                continue
            engine.set_state(LinkState.CONNECTED)
            return
        await engine.close(proto_models.DisconnectReason.SIGNAL_CLOSE, send_leave=False)

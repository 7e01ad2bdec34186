"""ICE consent freshness that a busy event loop does not break (aioice 0.13.x).

RFC 7675 lets consent expire when no check was answered for 30 s. aioice instead sends
each check once, gives its answer 0.5 s and gives up after six checks in a row "fail".
Under CPU load that ends a healthy path: asyncio's datagram transport reads one datagram
per loop turn, so an answer that arrived in time but waits in the socket behind a few
videos' packets is read after its 0.5 s. bench/soak.py (four peers, load average 9–24)
lost consent that way every ~80 s; each loss cost a resume (before session_keeper.py, a
full rejoin).

:func:`take_over_consent` replaces aioice's check loop on a connection with one that
retransmits each check as a STUN transaction does (answers are accepted for ~7.5 s) and
expires consent only after no check was answered for six intervals (30 s by default).
Expiry closes the connection exactly as aioice does, so what follows is unchanged: with
the datagram bridge in place the ICE transport goes "failed" and DTLS waits for a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time

import aioice.ice
from aioice import Connection, stun

from lkdesk.rtc.engine.adapt._pins import require_names

logger = logging.getLogger(__name__)

#: Retransmissions of one check (RTO 0.5 s, doubling: an answer counts for ~7.5 s).
CHECK_RETRANSMISSIONS = 3
#: Consent expires after this many intervals without an answered check (6 × 5 s = 30 s).
INTERVALS_TO_EXPIRY = 6


def check_compatible() -> None:
    """Fail loudly if aioice changed what this module relies on."""
    require_names(
        "aioice Connection.query_consent",
        aioice.ice.Connection.query_consent,
        ("CONSENT_INTERVAL", "_nominated", "build_request", "remote_password", "close"),
    )
    require_names("aioice Connection.close", Connection.close, ("_query_consent_task",))


def take_over_consent(conn: Connection) -> None:
    """Run this module's consent checks on ``conn`` (connected) instead of aioice's.

    Idempotent. The task sits where aioice keeps its own, so ``conn.close()`` stops it.
    """
    current: asyncio.Task[None] | None = conn._query_consent_task
    if current is not None and current.get_name() == "lkdesk-ice-consent" and not current.done():
        return
    if current is not None:
        current.cancel()  # aioice's loop holds no state worth waiting for
    conn._query_consent_task = asyncio.get_running_loop().create_task(
        _keep_consent(conn), name="lkdesk-ice-consent"
    )


async def _keep_consent(conn: Connection) -> None:
    answered = time.monotonic()
    checks: set[asyncio.Task[bool]] = set()

    def done(task: asyncio.Task[bool]) -> None:
        nonlocal answered
        checks.discard(task)
        if not task.cancelled() and task.exception() is None and task.result():
            answered = time.monotonic()

    try:
        while True:
            interval = float(aioice.ice.CONSENT_INTERVAL)  # read each time (tests shorten it)
            await asyncio.sleep(interval * (0.8 + 0.4 * random.random()))
            if time.monotonic() - answered > INTERVALS_TO_EXPIRY * interval:
                break
            for pair in list(conn._nominated.values()):
                task = asyncio.get_running_loop().create_task(_check(conn, pair))
                checks.add(task)
                task.add_done_callback(done)
    finally:
        for task in list(checks):
            task.cancel()
    logger.info("ICE consent expired: no check answered for %.0f s", time.monotonic() - answered)
    conn._query_consent_task = None  # close() must not cancel the task running it
    await conn.close()


async def _check(conn: Connection, pair: aioice.ice.CandidatePair) -> bool:
    if conn.remote_password is None:
        return False
    request = conn.build_request(pair, nominate=False)
    with contextlib.suppress(stun.TransactionError, ConnectionError, OSError):
        await pair.protocol.request(
            request,
            pair.remote_addr,
            integrity_key=conn.remote_password.encode("utf8"),
            retransmissions=CHECK_RETRANSMISSIONS,
        )
        return True
    return False

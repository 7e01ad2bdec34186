"""Notice a server that comes back, so a reconnect does not sleep through its return.

livekit-client's reconnect schedule waits up to 4.8 s (then 7 s) between attempts. After a
server restart most of that wait is dead time: the SDKs are back about a second after the
server answers. While the last attempt found the server unreachable, the reconnector
instead asks the server's TCP port every quarter second (plus jitter, so a crowd of clients
does not return in one instant) and makes its next attempt as soon as the port accepts a
connection, never later than the schedule says. A TCP handshake costs the server nothing;
through an HTTP proxy the server itself cannot be asked, so the schedule is kept as is.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from urllib.parse import urlsplit

from lkdesk.rtc.engine.proxies import proxy_for

POLL_S = 0.25
_CONNECT_LIMIT_S = 0.5


def server_address(url: str) -> tuple[str, int] | None:
    """Host and port of a ws(s):// or http(s):// server URL; None when it cannot be asked."""
    if proxy_for(url) is not None:
        return None
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    secure = parts.scheme in ("wss", "https")
    try:
        port = parts.port or (443 if secure else 80)
    except ValueError:
        return None
    return parts.hostname, port


async def answers(host: str, port: int) -> bool:
    """Whether ``host:port`` accepts a TCP connection now (closed straight away)."""
    try:
        async with asyncio.timeout(_CONNECT_LIMIT_S):
            _reader, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def wait_until_back(url: str, limit_s: float, rng: random.Random | None = None) -> None:
    """Return when the server at ``url`` answers again, or after ``limit_s`` at the latest."""
    address = server_address(url)
    if address is None:
        await asyncio.sleep(limit_s)
        return
    rng = rng or random.Random()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout_at(deadline):
            while True:
                await asyncio.sleep(POLL_S + rng.uniform(0.0, POLL_S))
                if await answers(*address):
                    return

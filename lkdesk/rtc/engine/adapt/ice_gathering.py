"""Before aioice gathers: give it the TLS context for a ``turns:`` server; after: the route.

aiortc builds each aioice ``Connection`` from the configuration's ``iceServers`` with
``turn_ssl=True`` for a ``turns:`` URL, and aioice then opens the TLS connection with
``ssl=True``: Python's default context (OpenSSL's default CA paths only, never the CA the
user trusts for this server, and not the platform verifier on macOS/Windows). aioice takes
an ``ssl.SSLContext`` in the same place, so before a peer connection gathers (before
``setLocalDescription``) every not-yet-gathered connection gets lkdesk's verifying context
(core/tls.py) instead. The host name checked is the ``turns:`` URL's host.

:func:`bound_turn_release` keeps closing a connection whose TURN server is out of reach
from taking ~40 s. Once connected, :func:`media_route` tells which path media took (UDP,
ICE-TCP, TURN over UDP/TCP/TLS), read from aioice's nominated pair: aiortc's stats do not
say. :func:`a_pair_succeeded` reads aioice's check list (aiortc has no event for a first
successful check; the engine trickles its relay candidates then, see sdp_tools).

Relies on aiortc 1.16 keeping its ICE transports in ``RTCPeerConnection.__iceTransports``
and each gatherer's aioice connection in ``RTCIceGatherer._connection`` with ``turn_ssl``,
``turn_transport``, ``_nominated`` and ``_check_list`` (pinned in version.py and
tests/rtc/engine/test_adapt.py).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

from aioice.ice import CandidatePair
from aiortc import RTCPeerConnection

logger = logging.getLogger(__name__)

_TRANSPORTS = "_RTCPeerConnection__iceTransports"


def ice_connections(pc: RTCPeerConnection) -> list[Any]:
    """The aioice connections of ``pc`` that have not gathered yet."""
    transports = getattr(pc, _TRANSPORTS)
    return [t.iceGatherer._connection for t in transports if t.iceGatherer.state == "new"]


def prepare_gathering(pc: RTCPeerConnection, *, turn_tls: ssl.SSLContext | None) -> None:
    """Call right before ``setLocalDescription``: TURN/TLS verified with ``turn_tls``."""
    for connection in ice_connections(pc):
        if turn_tls is not None and connection.turn_ssl is True:
            connection.turn_ssl = turn_tls


def media_route(pc: RTCPeerConnection) -> str:
    """How ``pc``'s nominated ICE pair carries media, "" before one is nominated.

    "udp" or "tcp" for a direct path (ICE over UDP, ICE-TCP), "turn/udp", "turn/tcp" or
    "turn/tls" through a TURN relay (read from aioice's ``_nominated`` pairs).
    """
    for transport in getattr(pc, _TRANSPORTS):
        connection = transport._connection
        pair = connection._nominated.get(1)
        if pair is None:
            continue
        local = pair.local_candidate
        if local.type == "relay":
            if connection.turn_transport == "tcp":
                return "turn/tls" if connection.turn_ssl else "turn/tcp"
            return "turn/udp"
        return str(local.transport).lower()
    return ""


def a_pair_succeeded(pc: RTCPeerConnection) -> bool:
    """Whether a connectivity check of ``pc`` has succeeded (read from aioice's check list)."""
    for transport in getattr(pc, _TRANSPORTS):
        for pair in transport._connection._check_list:
            if pair.state == CandidatePair.State.SUCCEEDED:
                return True
    return False


TURN_RELEASE_LIMIT_S = 2.0


def bound_turn_release(pc: RTCPeerConnection, limit_s: float = TURN_RELEASE_LIMIT_S) -> None:
    """Call before ``pc.close()``: give each TURN allocation ``limit_s`` to be released.

    aioice deletes an allocation by sending REFRESH(lifetime 0) and waiting for the answer
    with full STUN retransmission (~40 s) before the connection counts as closed. After a
    network change (the old path is dead) a rejoin would wait that long for ``close()``.
    The server frees an allocation it does not hear from when its lifetime ends (RFC 8656
    §6), and aioice closes the socket even when the deletion is cancelled.
    """
    for transport in getattr(pc, _TRANSPORTS):
        for protocol in transport._connection._protocols:
            inner = getattr(protocol.transport, _TURN_INNER, None)
            if inner is None or getattr(inner, "_lkdesk_bounded", False):
                continue
            inner.delete = _bounded(inner.delete, limit_s)
            inner._lkdesk_bounded = True


_TURN_INNER = "_TurnTransport__inner_protocol"


def _bounded(delete: Any, limit_s: float) -> Any:
    async def bounded_delete() -> None:
        try:
            async with asyncio.timeout(limit_s):
                await delete()
        except TimeoutError:
            logger.info("TURN allocation not released within %.0f s (path gone?)", limit_s)

    return bounded_delete

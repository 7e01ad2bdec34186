"""Before aioice gathers: give it the TLS context for a ``turns:`` server; after: the route.

aiortc builds each aioice ``Connection`` from the configuration's ``iceServers`` with
``turn_ssl=True`` for a ``turns:`` URL, and aioice then opens the TLS connection with
``ssl=True``: Python's default context (OpenSSL's default CA paths only, never the CA the
user trusts for this server, and not the platform verifier on macOS/Windows). aioice takes
an ``ssl.SSLContext`` in the same place, so before a peer connection gathers (before
``setLocalDescription``) every not-yet-gathered connection gets lkdesk's verifying context
(core/tls.py) instead. The host name checked is the ``turns:`` URL's host.

Once connected, :func:`media_route` tells which path media took (UDP, ICE-TCP, TURN over
UDP/TCP/TLS), read from aioice's nominated pair: aiortc's stats do not say.

Relies on aiortc 1.16 keeping its ICE transports in ``RTCPeerConnection.__iceTransports``
and each gatherer's aioice connection in ``RTCIceGatherer._connection`` with ``turn_ssl``,
``turn_transport`` and ``_nominated`` (pinned in version.py and tests/rtc/engine/test_adapt.py).
"""

from __future__ import annotations

import ssl
from typing import Any

from aiortc import RTCPeerConnection

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

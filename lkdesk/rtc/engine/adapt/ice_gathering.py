"""Before aioice gathers: give it the TLS context for a ``turns:`` server.

aiortc builds each aioice ``Connection`` from the configuration's ``iceServers`` with
``turn_ssl=True`` for a ``turns:`` URL, and aioice then opens the TLS connection with
``ssl=True``: Python's default context (OpenSSL's default CA paths only, never the CA the
user trusts for this server, and not the platform verifier on macOS/Windows). aioice takes
an ``ssl.SSLContext`` in the same place, so before a peer connection gathers (before
``setLocalDescription``) every not-yet-gathered connection gets lkdesk's verifying context
(core/tls.py) instead. The host name checked is the ``turns:`` URL's host.

Relies on aiortc 1.16 keeping its ICE transports in ``RTCPeerConnection.__iceTransports``
and each gatherer's aioice connection in ``RTCIceGatherer._connection`` with a
``turn_ssl`` attribute (pinned in version.py and tests/rtc/engine/test_adapt.py).
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

"""When did a peer connection last hear anything from the server? (ICE silence detection.)

aioice notices a dead path only after six failed consent checks, about 30 s, and the
connection state stays "connected" until then. The server's ICE agent keeps every selected
pair alive (a binding request at least every 2 s when it has sent nothing else), and our own
consent checks are answered every ~5 s, so a path that delivered no datagram at all for a few
seconds is dead (a UDP outage, an address that went away). This module counts every datagram
aioice's sockets receive — STUN included, which the DTLS transport never sees — by wrapping
``datagram_received`` on each of the connection's protocols (instance attributes, so other
connections are untouched). Protocols created later (an ICE restart gathers new ones) are
instrumented on the next look.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aioice.ice import get_host_addresses


class Liveness:
    """The newest time (monotonic seconds) any datagram arrived on a peer connection."""

    def __init__(self, pc: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self._pc = pc
        self._clock = clock
        self.last_received = clock()
        self._instrumented: set[int] = set()

    def silent_for(self) -> float:
        """Seconds since the last datagram (instrumenting any new socket first)."""
        for connection in _ice_connections(self._pc):
            for protocol in list(getattr(connection, "_protocols", ())):
                if id(protocol) not in self._instrumented:
                    self._instrumented.add(id(protocol))
                    self._instrument(protocol)
        return self._clock() - self.last_received

    def local_address_gone(self) -> bool:
        """True when the address our selected ICE pair sends from left this machine.

        (A laptop moving from Wi-Fi to Ethernet.) That path cannot come back; waiting for
        it, as for an outage, would only delay the ICE restart that can help.
        """
        addresses = set(get_host_addresses(use_ipv4=True, use_ipv6=True))
        for connection in _ice_connections(self._pc):
            for pair in getattr(connection, "_nominated", {}).values():
                candidate = pair.local_candidate
                base = candidate.host if candidate.type == "host" else candidate.related_address
                if base and base not in addresses:
                    return True
        return False

    def reset(self) -> None:
        """Start counting anew (after a restart, before any packet can have arrived)."""
        self.last_received = self._clock()

    def _instrument(self, protocol: Any) -> None:
        original = protocol.datagram_received
        clock = self._clock

        def datagram_received(data: bytes | str, addr: tuple[Any, ...]) -> None:
            self.last_received = clock()
            original(data, addr)

        protocol.datagram_received = datagram_received


def _ice_connections(pc: Any) -> list[Any]:
    """The aioice connections behind a peer connection (one with MAX_BUNDLE)."""
    found: list[Any] = []
    transports = [t.receiver.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    for dtls in transports:
        if dtls is None:
            continue
        connection = getattr(dtls.transport, "_connection", None)
        if connection is not None and connection not in found:
            found.append(connection)
    return found

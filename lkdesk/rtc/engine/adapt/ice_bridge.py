"""One datagram path for DTLS across ICE sessions (aiortc 1.16.x, aioice 0.13.x).

aiortc binds ``RTCIceTransport._recv``/``_send`` to the aioice ``Connection`` the transport
was created with, and its DTLS transport reads and writes through them for its whole life.
An ICE restart needs a *new* connection (new credentials and new sockets: the local address
may have changed) while DTLS, SRTP and SCTP carry on. :class:`DatagramBridge` is installed
once per ICE transport and stands between the two from then on:

* every connection it adopts delivers its datagrams into one queue: the very queue object
  the DTLS reader may already be waiting on, taken over from the first connection. Packets
  that still arrive on the old path during a restart and those on the new path both reach
  DTLS, whichever the peer uses;
* sends go out on the *active* connection. With no usable pair (consent expired, socket on a
  vanished address) a packet is dropped like on a lossy link, never raised: aiortc's RTP
  sender loop ends for good on the first ``ConnectionError``;
* it replaces aiortc's ICE monitor. When the active connection dies (consent expired) the
  ICE transport still goes "failed" as in aiortc, but DTLS is not torn down, so an ICE
  restart can bring the same DTLS/SCTP session back. When aiortc stops the ICE transport
  (``pc.close()``), the monitor closes every connection the bridge owns before ``stop()``
  returns, so nothing outlives the peer connection;
* the active connection's consent is checked by consent.py, which a busy event loop does
  not fool, instead of by aioice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aioice
import aiortc
from aioice import Connection
from aiortc.rtcicetransport import RTCIceGatherer, RTCIceTransport

from lkdesk.rtc.engine.adapt import consent
from lkdesk.rtc.engine.adapt._pins import (
    SUPPORTED_AIOICE,
    SUPPORTED_AIORTC,
    require_attributes,
    require_names,
    require_version,
)

logger = logging.getLogger(__name__)

Datagram = tuple[bytes, int]


def check_compatible() -> None:
    """Fail loudly if aiortc/aioice changed the internals the bridge relies on."""
    require_version(aiortc, SUPPORTED_AIORTC)
    require_version(aioice, SUPPORTED_AIOICE)
    # RTCIceTransport exposes _connection/_recv/_send and keeps its monitor task in a
    # name-mangled slot that stop() awaits after closing the connection.
    require_names(
        "aiortc RTCIceTransport.__init__",
        RTCIceTransport.__init__,
        ("_connection", "_recv", "_send", "_RTCIceTransport__monitor_task"),
    )
    require_names(
        "aiortc RTCIceTransport.stop",
        RTCIceTransport.stop,
        ("_connection", "close", "_RTCIceTransport__monitor_task"),
    )
    require_attributes("aiortc RTCIceTransport", RTCIceTransport, ("_RTCIceTransport__setState",))
    require_names("aiortc RTCIceGatherer.__init__", RTCIceGatherer.__init__, ("_connection",))
    require_attributes("aiortc RTCIceGatherer", RTCIceGatherer, ("_RTCIceGatherer__setState",))
    # aioice: datagrams go through Connection.data_received into _queue; get_event() parks
    # its waiter in _event_waiter; close() wakes recv() with None through _queue.
    require_names("aioice Connection.__init__", Connection.__init__, ("_queue", "_event_waiter"))
    require_names("aioice Connection.data_received", Connection.data_received, ("_queue",))
    require_names("aioice Connection.recvfrom", Connection.recvfrom, ("_queue", "_nominated"))
    require_names("aioice Connection.get_event", Connection.get_event, ("_event_waiter",))
    require_attributes(
        "aioice Connection",
        Connection,
        ("gather_candidates", "connect", "close", "send", "add_remote_candidate", "get_event"),
    )


class DatagramBridge:
    """Routes one ICE transport's datagrams through whichever aioice connection is active.

    Create with :meth:`install`; it is idempotent per ICE transport.
    """

    def __init__(self, ice: RTCIceTransport) -> None:
        first: Connection = ice._connection
        self._ice = ice
        # The DTLS reader may be parked on this queue object right now: keep it as ours and
        # give aioice a private one, so its close() (which wakes readers with None) cannot
        # end DTLS behind our back.
        self._queue: asyncio.Queue[Datagram | None] = first._queue
        first._queue = asyncio.Queue()
        self._active = first
        self._owned: dict[Connection, asyncio.Future[Any]] = {}
        loop = asyncio.get_running_loop()
        self._stopped: asyncio.Future[None] = loop.create_future()
        self._wake: asyncio.Future[None] = loop.create_future()
        self.dropped = 0
        self._adopt_first(first)
        consent.take_over_consent(first)
        self._monitor_task = loop.create_task(self._monitor(), name="lkdesk-ice-monitor")
        ice.on("statechange", self._ice_state_changed)

    @classmethod
    async def install(cls, ice: RTCIceTransport) -> DatagramBridge:
        """The bridge of ``ice``, installing it (and retiring aiortc's monitor) on first use."""
        current = getattr(ice._recv, "__self__", None)
        if isinstance(current, DatagramBridge):
            return current
        if ice.state == "closed":
            raise ConnectionError("the ICE transport is closed")
        monitor: asyncio.Future[None] | None = ice._RTCIceTransport__monitor_task  # type: ignore[attr-defined]
        if monitor is not None and not monitor.done():
            monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await monitor
        bridge = cls(ice)
        ice._recv = bridge.recv
        ice._send = bridge.send
        ice._RTCIceTransport__monitor_task = bridge._monitor_task  # type: ignore[attr-defined]
        return bridge

    @property
    def active(self) -> Connection:
        """The connection sends go out on."""
        return self._active

    @property
    def stopped(self) -> bool:
        return self._stopped.done()

    def _adopt_first(self, conn: Connection) -> None:
        # aiortc's cancelled monitor left its get_event() waiter behind; it still fires
        # when the connection closes, so we wait on it instead of asking again.
        waiter: asyncio.Future[Any] | None = conn._event_waiter
        if waiter is None:
            waiter = asyncio.ensure_future(conn.get_event())
        self._feed(conn)
        self._owned[conn] = waiter

    def adopt(self, conn: Connection) -> None:
        """Deliver ``conn``'s datagrams to DTLS from now on; the bridge owns (closes) it."""
        conn._queue = asyncio.Queue()  # see __init__: aioice's close() must not reach DTLS
        self._feed(conn)
        self._owned[conn] = asyncio.ensure_future(conn.get_event())

    def _feed(self, conn: Connection) -> None:
        queue = self._queue

        def data_received(data: bytes, component: int) -> None:
            queue.put_nowait((data, component))

        # Shadow the method on this instance: aioice's sockets call conn.data_received().
        setattr(conn, "data_received", data_received)  # noqa: B010

    def activate(self, conn: Connection) -> None:
        """Send on ``conn`` (an adopted, connected connection) and watch it for failure."""
        if conn not in self._owned:
            raise ValueError("activate() needs a connection adopted by this bridge")
        self._active = conn
        consent.take_over_consent(conn)
        self._ice._connection = conn
        self._ice.iceGatherer._connection = conn
        if not self._wake.done():
            self._wake.set_result(None)

    async def release(self, conn: Connection) -> None:
        """Close ``conn`` (never the active one) and forget it."""
        if conn is self._active:
            raise ValueError("release() cannot close the active connection")
        waiter = self._owned.pop(conn, None)
        await conn.close()
        if waiter is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await waiter

    async def recv(self) -> bytes:
        """What DTLS reads: the next datagram from any adopted connection."""
        item = await self._queue.get()
        if item is None:
            raise ConnectionError("the ICE transport was stopped")
        return item[0]

    async def send(self, data: bytes) -> None:
        """What DTLS writes through: the active connection, or nowhere while it has no pair."""
        if self._stopped.done():
            raise ConnectionError("the ICE transport was stopped")
        try:
            await self._active.send(data)
        except ConnectionError:
            self.dropped += 1

    def _ice_state_changed(self) -> None:
        if self._ice.state == "closed" and not self._stopped.done():
            self._stopped.set_result(None)

    async def _monitor(self) -> None:
        """Follow the active connection; close everything once the ICE transport stops."""
        try:
            while not self._stopped.done():
                conn = self._active
                died = self._owned[conn]
                self._wake = asyncio.get_running_loop().create_future()
                await asyncio.wait(
                    {died, self._wake, self._stopped}, return_when=asyncio.FIRST_COMPLETED
                )
                if died.done() and conn is self._active and not self._stopped.done():
                    if self._ice.state == "completed":
                        logger.warning("ICE consent expired; DTLS kept for an ICE restart")
                        self._ice._RTCIceTransport__setState("failed")  # type: ignore[attr-defined]
                    # Nothing to watch until a restart activates another connection.
                    await asyncio.wait(
                        {self._wake, self._stopped}, return_when=asyncio.FIRST_COMPLETED
                    )
        finally:
            await self._close_all()

    async def _close_all(self) -> None:
        # When aiortc stops the transport it is closing its _connection itself right now;
        # closing it twice concurrently would race over aioice's socket list.
        closing_by_aiortc = self._ice._connection if self._stopped.done() else None
        owned, self._owned = self._owned, {}
        for conn in owned:
            if conn is not closing_by_aiortc:
                await conn.close()
        for waiter in owned.values():
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
        self._queue.put_nowait(None)

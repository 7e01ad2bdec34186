"""Keep a peer connection's DTLS session through an ICE consent loss (aiortc 1.16.x).

aioice closes its connection when six consent checks in a row (each given 0.5 s) go
unanswered. aiortc's DTLS transport reads through that connection, so the close ends DTLS;
once every DTLS transport has ended aiortc closes the whole peer connection, silently: its
``connectionState`` goes from "connected" straight to "closed". No ICE restart can revive
that session, so the server's resume request can only end in a full rejoin.

Under CPU load this happens to a healthy path. asyncio's datagram transport reads one
datagram per loop turn, so a consent response queued behind the media of a few videos is
read after its 0.5 s are up; every check "fails" and consent expires after ~30 s (seen in
bench/soak.py: the server asked for a resume every ~80 s, each ending in a rejoin).

:class:`SessionKeeper` installs the restarter's datagram bridge (ice_bridge.py) as soon as
the PC connects. From then on an expired consent makes the ICE transport "failed" (and the
PC "failed", which the engine answers with a resume) while DTLS, SRTP and SCTP stay up for
the ICE restart that follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiortc import RTCPeerConnection

from lkdesk.rtc.engine.adapt.ice_restart import DtlsSessionLost, IceRestarter, IceRestartError

logger = logging.getLogger(__name__)


class SessionKeeper:
    """Installs ``restarter``'s bridge once ``pc`` is connected; :meth:`aclose` before
    closing the PC."""

    def __init__(self, pc: RTCPeerConnection, restarter: IceRestarter) -> None:
        self._pc = pc
        self._restarter = restarter
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        pc.on("connectionstatechange", self._state_changed)

    @property
    def keeping(self) -> bool:
        """Whether the bridge is in place (tests and diagnostics)."""
        bridge = self._restarter.bridge
        return bridge is not None and not bridge.stopped

    def _state_changed(self) -> None:
        if self._closed or self._task is not None or self._pc.connectionState != "connected":
            return
        self._task = asyncio.get_running_loop().create_task(
            self._install(), name="lkdesk-keep-dtls"
        )

    async def _install(self) -> None:
        try:
            await self._restarter.install()
        except (IceRestartError, DtlsSessionLost, ConnectionError) as error:
            logger.info("DTLS is not kept through an ICE consent loss: %s", error)

    async def aclose(self) -> None:
        self._closed = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

"""ICE restart on aiortc 1.16.x while DTLS, SRTP and SCTP carry on (issue 11, item 1).

aiortc runs ``RTCIceTransport.start()`` once: later remote credentials are stored by
``setRemoteDescription`` but never applied, and there is no ``restartIce()``. A LiveKit
resume needs both kinds of restart: the server always re-offers the subscriber PC with new
ICE credentials, and the client re-offers its publisher PC with new ones.

Design: a restart is a *new* aioice ``Connection`` next to the old one (make before break):

1. :meth:`IceRestarter.prepare` (before ``createOffer``/``createAnswer``; for a remote
   restart before ``setRemoteDescription``) installs the :class:`DatagramBridge` once, makes
   a connection with fresh credentials and the same ICE role (RFC 8445 §9: a restart does
   not redetermine roles unless the peer became ICE lite), gathers fresh candidates (the
   local address may have changed) and makes it what the gatherer and the ICE transport
   expose. So aiortc's next local description carries the new ufrag/pwd and candidates,
   and remote candidates (in the remote description or trickled through
   ``addIceCandidate``) go to the new connection. Media and data still flow on the old
   pair meanwhile; the bridge hands DTLS whatever arrives on either.
2. :meth:`IceRestarter.start` (once both descriptions are set) reads the new remote
   credentials and candidates from ``pc.remoteDescription``, moves the ICE transport to
   "checking" (so ``iceConnectionState``/``connectionState`` go checking/connecting, then
   completed/connected again) and runs the checks under a time limit.
3. On success the bridge switches sends to the new pair: DTLS keeps its session, SRTP its
   keys, SCTP its association and unacknowledged data (retransmitted by its own timer). The
   old connection keeps delivering stragglers for a short grace period, then is closed.
   On failure (timeout, ICE failure, or a remote answer with the old credentials) the new
   connection is closed, the ICE transport goes "failed" and :meth:`IceRestarter.wait`
   raises :class:`IceRestartError`: a full reconnect is then the engine's job.

Nothing here logs ICE credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any, Literal

from aioice import Connection, TransportPolicy
from aiortc import RTCIceServer, RTCPeerConnection
from aiortc import sdp as aiortc_sdp
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcicetransport import (
    RTCIceCandidate,
    RTCIceParameters,
    RTCIceTransport,
    candidate_to_aioice,
    connection_kwargs,
)

from lkdesk.core.errors import LkdeskError
from lkdesk.rtc.engine.adapt import ice_bridge
from lkdesk.rtc.engine.adapt._pins import require_names
from lkdesk.rtc.engine.adapt.ice_bridge import DatagramBridge

logger = logging.getLogger(__name__)

#: How long the new checks may take: the JS SDK waits 15 s for its PCs after a resume.
RESTART_TIMEOUT_S = 15.0
#: How long the old connection still delivers datagrams the peer sent before it switched.
OLD_PATH_GRACE_S = 2.0

RestartState = Literal["idle", "gathering", "prepared", "checking", "connected", "failed"]


def check_compatible() -> None:
    """Fail loudly if aiortc/aioice changed the internals the restart relies on."""
    ice_bridge.check_compatible()
    from aioice import Connection as _Connection
    from aiortc.rtcicetransport import RTCIceGatherer

    # The gatherer's end-of-candidates flag gates RTCIceTransport.addRemoteCandidate.
    require_names(
        "aiortc RTCIceTransport.addRemoteCandidate",
        RTCIceTransport.addRemoteCandidate,
        ("_remote_candidates_end", "_connection", "add_remote_candidate"),
    )
    require_names("aiortc RTCIceGatherer.__init__", RTCIceGatherer.__init__, ("Connection",))
    # start() returns early once started: the reason this module exists.
    require_names(
        "aiortc RTCIceTransport.start", RTCIceTransport.start, ("_RTCIceTransport__start",)
    )
    # A new connection copies the old one's STUN/TURN settings and transport policy.
    require_names(
        "aioice Connection.__init__",
        _Connection.__init__,
        ("stun_server", "turn_server", "turn_username", "turn_password", "turn_ssl"),
    )
    require_names("aioice Connection.__init__", _Connection.__init__, ("_transport_policy",))


class IceRestartError(LkdeskError):
    """An ICE restart could not be done or did not complete; a full reconnect is needed."""


class DtlsSessionLost(LkdeskError):
    """The PC's DTLS session ended: no ICE restart can revive it, only a new session."""


@dataclass(frozen=True, slots=True)
class IceRestartResult:
    """How a completed restart went."""

    duration_s: float
    """From :meth:`IceRestarter.prepare` to the new pair carrying media."""
    checks_s: float
    """From :meth:`IceRestarter.start` to the new pair carrying media."""
    local_addresses: tuple[str, ...]
    """``ip:port`` of every local candidate of the new ICE session."""


@dataclass(frozen=True, slots=True)
class RemoteIce:
    """The ICE part of a remote description (first section with credentials)."""

    parameters: RTCIceParameters
    candidates: tuple[RTCIceCandidate, ...]
    complete: bool


def remote_ice(sdp: str) -> RemoteIce | None:
    """ICE credentials, candidates and end-of-candidates of a (bundled) description."""
    description = aiortc_sdp.SessionDescription.parse(sdp)
    for media in description.media:
        ice = media.ice
        if media.port != 0 and ice is not None and ice.usernameFragment and ice.password:
            return RemoteIce(ice, tuple(media.ice_candidates), media.ice_candidates_complete)
    return None


def _set_ice_state(ice: RTCIceTransport, state: str) -> None:
    # Fires "statechange": aiortc's PC recomputes iceConnectionState and connectionState.
    ice._RTCIceTransport__setState(state)  # type: ignore[attr-defined]


def _set_gathering_state(ice: RTCIceTransport, state: str) -> None:
    # Fires the gatherer's "statechange": the PC recomputes iceGatheringState.
    ice.iceGatherer._RTCIceGatherer__setState(state)  # type: ignore[attr-defined]


def _new_connection(old: Connection, ice_servers: list[RTCIceServer] | None) -> Connection:
    """A connection with fresh credentials, the old one's role, servers and policy."""
    if ice_servers is not None:
        servers: dict[str, Any] = connection_kwargs(ice_servers)
        if servers.get("turn_ssl") is True and isinstance(old.turn_ssl, ssl.SSLContext):
            servers["turn_ssl"] = old.turn_ssl  # keep the verifying context (ice_gathering.py)
    else:
        servers = {
            "stun_server": old.stun_server,
            "turn_server": old.turn_server,
            "turn_username": old.turn_username,
            "turn_password": old.turn_password,
            "turn_ssl": old.turn_ssl,
            "turn_transport": old.turn_transport,
        }
    policy: TransportPolicy = old._transport_policy
    return Connection(ice_controlling=old.ice_controlling, transport_policy=policy, **servers)


def _candidate_key(host: str, port: int, component: int, transport: str) -> tuple[Any, ...]:
    return (component, transport.lower(), host, port)


class IceRestarter:
    """ICE restarts for one ``RTCPeerConnection`` (which must bundle everything).

    The engine creates one per peer connection and calls :meth:`aclose` when done with it
    (``pc.close()`` also closes every connection a restart made). A remote restart (the
    LiveKit subscriber after a resume)::

        if restarter.is_restart(offer_sdp):
            await restarter.prepare()        # before setRemoteDescription(offer)
        ...setRemoteDescription, createAnswer, setLocalDescription...
        restarter.start()                    # then send the answer; trickle as usual
        await restarter.wait()               # IceRestartResult, or IceRestartError

    A local restart (the LiveKit publisher after a resume)::

        await restarter.prepare()            # before createOffer()
        ...createOffer, setLocalDescription, send, setRemoteDescription(answer)...
        restarter.start()
        await restarter.wait()
    """

    def __init__(
        self,
        pc: RTCPeerConnection,
        *,
        timeout_s: float = RESTART_TIMEOUT_S,
        old_path_grace_s: float = OLD_PATH_GRACE_S,
    ) -> None:
        self._pc = pc
        self._timeout_s = timeout_s
        self._grace_s = old_path_grace_s
        self._bridge: DatagramBridge | None = None
        self._candidate: Connection | None = None
        self._candidates_end_before = False
        self._checks: asyncio.Task[None] | None = None
        self._retiring: set[asyncio.Task[None]] = set()
        self._outcome: asyncio.Future[IceRestartResult] | None = None
        self._state: RestartState = "idle"
        self._prepared_at = 0.0
        self._started_at = 0.0

    @property
    def state(self) -> RestartState:
        return self._state

    @property
    def bridge(self) -> DatagramBridge | None:
        """The datagram bridge once installed (tests and diagnostics)."""
        return self._bridge

    def _transports(self) -> tuple[RTCDtlsTransport, RTCIceTransport]:
        dtls = {t.receiver.transport for t in self._pc.getTransceivers()}
        if self._pc.sctp is not None:
            dtls.add(self._pc.sctp.transport)
        if len(dtls) != 1:
            raise IceRestartError(
                f"ICE restart needs one bundled transport (MAX_BUNDLE); this PC has {len(dtls)}"
            )
        transport = dtls.pop()
        return transport, transport.transport

    def _current_remote(self, ice: RTCIceTransport) -> tuple[str | None, str | None]:
        conn: Connection = ice._connection
        if conn.remote_username is None and self._bridge is not None:
            conn = self._bridge.active  # a restart is prepared but has no answer yet
        return conn.remote_username, conn.remote_password

    def is_restart(self, remote_sdp: str) -> bool:
        """True when ``remote_sdp`` carries ICE credentials other than those in use."""
        try:
            _, ice = self._transports()
        except IceRestartError:
            return False
        remote = remote_ice(remote_sdp)
        current = self._current_remote(ice)
        if remote is None or current[0] is None:
            return False
        return (remote.parameters.usernameFragment, remote.parameters.password) != current

    async def install(self) -> DatagramBridge:
        """Put the datagram bridge in place (idempotent).

        :meth:`prepare` does this anyway; calling it once the PC is connected also keeps
        DTLS and SCTP alive if ICE consent expires before anyone restarts ICE.
        """
        dtls, ice = self._transports()
        if dtls.state in ("closed", "failed"):
            raise DtlsSessionLost(f"the DTLS session ended (DTLS {dtls.state}, ICE {ice.state})")
        if dtls.state != "connected" or ice.state in ("new", "closed"):
            raise IceRestartError(
                f"ICE restart needs a connected DTLS session (DTLS {dtls.state}, ICE {ice.state})"
            )
        if self._bridge is None or self._bridge.stopped:
            self._bridge = await DatagramBridge.install(ice)
        return self._bridge

    async def prepare(self, ice_servers: list[RTCIceServer] | None = None) -> None:
        """Fresh local credentials and candidates for the next offer or answer.

        ``ice_servers`` replaces the STUN/TURN servers (a ReconnectResponse carries new
        ones); by default the current ones are kept. A restart still in progress is
        abandoned. Raises :class:`IceRestartError` when no restart is possible.
        """
        await self._abandon()
        bridge = await self.install()
        _, ice = self._transports()
        new = _new_connection(bridge.active, ice_servers)
        bridge.adopt(new)
        self._candidate = new
        self._prepared_at = time.monotonic()
        self._state = "gathering"
        self._outcome = asyncio.get_running_loop().create_future()
        try:
            _set_gathering_state(ice, "gathering")
            try:
                await new.gather_candidates()
            finally:
                _set_gathering_state(ice, "completed")
            if not new.local_candidates:
                raise IceRestartError("no local network address to restart ICE on")
        except BaseException:
            await self._abandon()
            raise
        gatherer = ice.iceGatherer
        self._candidates_end_before = gatherer._remote_candidates_end
        gatherer._remote_candidates_end = False
        gatherer._connection = new
        ice._connection = new
        self._state = "prepared"
        logger.info("ICE restart: %d local candidates gathered", len(new.local_candidates))

    def start(self) -> None:
        """Run the checks with the remote credentials now in ``pc.remoteDescription``.

        Call after both descriptions of the restart are set: for a remote restart after
        ``setLocalDescription(answer)``, for a local one after ``setRemoteDescription(answer)``.
        """
        if self._candidate is None or self._state != "prepared":
            raise IceRestartError(f"start() needs a prepared restart (state {self._state})")
        description = self._pc.remoteDescription
        remote = remote_ice(description.sdp) if description is not None else None
        self._started_at = time.monotonic()
        self._state = "checking"
        self._checks = asyncio.get_running_loop().create_task(
            self._run(self._candidate, remote), name="lkdesk-ice-restart"
        )

    async def wait(self) -> IceRestartResult:
        """The outcome of the current restart; raises :class:`IceRestartError` if it failed."""
        if self._outcome is None:
            raise IceRestartError("no ICE restart was prepared")
        return await asyncio.shield(self._outcome)

    async def _run(self, new: Connection, remote: RemoteIce | None) -> None:
        assert self._bridge is not None
        _, ice = self._transports()
        old = self._bridge.active
        try:
            if remote is None:
                raise IceRestartError("the remote description has no ICE credentials")
            credentials = (remote.parameters.usernameFragment, remote.parameters.password)
            if credentials == (old.remote_username, old.remote_password):
                raise IceRestartError("the remote side answered without restarting ICE")
            new.remote_username, new.remote_password = credentials
            new.remote_is_lite = remote.parameters.iceLite
            if remote.parameters.iceLite:
                new.ice_controlling = True  # a full agent always controls a lite one
            _set_ice_state(ice, "checking")
            await self._add_candidates(ice, new, remote)
            async with asyncio.timeout(self._timeout_s):
                await new.connect()
        except (ConnectionError, TimeoutError, ValueError, IceRestartError) as exc:
            await self._fail(ice, new, exc)
            return
        self._switch(ice, new, old)

    async def _add_candidates(
        self, ice: RTCIceTransport, new: Connection, remote: RemoteIce
    ) -> None:
        """Candidates of the remote description that aiortc did not already hand over."""
        known = {
            _candidate_key(c.host, c.port, c.component, c.transport) for c in new.remote_candidates
        }
        for candidate in remote.candidates:
            key = _candidate_key(
                candidate.ip, candidate.port, candidate.component, candidate.protocol
            )
            if key not in known:
                known.add(key)
                await new.add_remote_candidate(candidate_to_aioice(candidate))
        gatherer = ice.iceGatherer
        if remote.complete and not gatherer._remote_candidates_end:
            gatherer._remote_candidates_end = True
            await new.add_remote_candidate(None)

    def _switch(self, ice: RTCIceTransport, new: Connection, old: Connection) -> None:
        assert self._bridge is not None and self._outcome is not None
        self._bridge.activate(new)
        self._candidate = None
        self._state = "connected"
        _set_ice_state(ice, "completed")
        now = time.monotonic()
        result = IceRestartResult(
            duration_s=now - self._prepared_at,
            checks_s=now - self._started_at,
            local_addresses=tuple(f"{c.host}:{c.port}" for c in new.local_candidates),
        )
        logger.info("ICE restart completed in %.3f s", result.duration_s)
        if not self._outcome.done():
            self._outcome.set_result(result)
        task = asyncio.get_running_loop().create_task(self._retire(old), name="lkdesk-ice-retire")
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _retire(self, old: Connection) -> None:
        """Close the old connection once stragglers on its path had time to arrive."""
        assert self._bridge is not None
        try:
            await asyncio.sleep(self._grace_s)
        finally:
            await self._bridge.release(old)

    async def _fail(self, ice: RTCIceTransport, new: Connection, error: Exception) -> None:
        logger.warning("ICE restart failed: %s", error)
        await self._restore(ice, new)
        self._state = "failed"
        if ice.state != "closed":
            _set_ice_state(ice, "failed")
        if self._outcome is not None and not self._outcome.done():
            failure = IceRestartError(f"ICE restart failed: {error}")
            failure.__cause__ = error
            self._outcome.set_exception(failure)

    async def _restore(self, ice: RTCIceTransport, new: Connection) -> None:
        """Forget ``new``: aiortc sees the still-active connection again."""
        assert self._bridge is not None
        self._candidate = None
        active = self._bridge.active
        if ice._connection is new:
            ice._connection = active
            ice.iceGatherer._connection = active
            ice.iceGatherer._remote_candidates_end = self._candidates_end_before
        await self._bridge.release(new)

    async def _abandon(self) -> None:
        """Drop a restart that has not completed (a newer one replaces it, or we close)."""
        checks, self._checks = self._checks, None
        if checks is not None and not checks.done():
            checks.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await checks
        new = self._candidate
        if new is not None and self._bridge is not None:
            _, ice = self._transports()
            await self._restore(ice, new)
        if self._outcome is not None and not self._outcome.done():
            self._outcome.set_exception(IceRestartError("the ICE restart was abandoned"))
            self._outcome.exception()  # retrieved: nobody may be waiting for it
        if self._state not in ("connected", "failed"):
            self._state = "idle"

    async def aclose(self) -> None:
        """Stop any restart in progress and close the connections it retired."""
        await self._abandon()
        outcome = self._outcome
        if outcome is not None and outcome.done() and not outcome.cancelled():
            outcome.exception()  # a failure nobody waited for is not an error at exit
        retiring = list(self._retiring)
        for task in retiring:
            task.cancel()
        for task in retiring:
            with contextlib.suppress(asyncio.CancelledError):
                await task

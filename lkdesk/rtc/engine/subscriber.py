"""The subscriber peer connection: the server offers, we answer (v0 dual-PC mode).

Media is keyed by ``mid``, not by aiortc track objects: LiveKit reuses an idle m-line for a
new track (new SSRC, same mid), which aiortc 1.16 does not notice. After every offer
:class:`RemoteMedia` works out which track sid each mid now carries and reports the
changes; it pumps each receiver's frames to whatever track the mid is bound to right now.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Callable

from aiortc import RTCIceCandidate, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcdatachannel import RTCDataChannel

from lkdesk.rtc.engine import adapt
from lkdesk.rtc.engine.ice import IceUrl, candidate_from_init, rtc_configuration
from lkdesk.rtc.engine.remote_media import BindingChange, FrameCrypto, FrameHandler, RemoteMedia
from lkdesk.rtc.engine.sdp_tools import (
    LateCandidate,
    finish_answer,
    guard_offer,
    hold_relay_candidates,
    parse_sections,
)

logger = logging.getLogger(__name__)

#: Longest the first answer's relay candidates wait for a successful check (UDP may be
#: blocked, so that the relay is the only way).
LATE_CANDIDATES_WAIT_S = 0.1

__all__ = ["BindingChange", "FrameCrypto", "FrameHandler", "SubscriberConnection"]


class SubscriberConnection:
    """Owns the subscriber ``RTCPeerConnection`` and one frame pump per receiver."""

    def __init__(
        self,
        ice_urls: list[IceUrl],
        *,
        force_relay: bool,
        on_frame: FrameHandler,
        on_datachannel: Callable[[RTCDataChannel], None],
        on_state: Callable[[str], None],
        turn_tls: ssl.SSLContext | None = None,
        frame_crypto: FrameCrypto | None = None,
    ) -> None:
        configuration = rtc_configuration(ice_urls, force_relay=force_relay)
        self._pc = RTCPeerConnection(configuration)
        self._force_relay = force_relay
        self._ice_servers = configuration.iceServers
        self._restarter = adapt.IceRestarter(self._pc)
        self._keeper = adapt.SessionKeeper(self._pc, self._restarter)
        self._restarted = asyncio.Event()
        self._restart_error: Exception | None = None
        self._ever_connected = False
        self._turn_tls = turn_tls
        self.media = RemoteMedia(self._pc, on_frame, frame_crypto)
        self._pending_candidates: list[RTCIceCandidate] = []
        self._answered = False
        self._late_candidates: list[LateCandidate] = []
        self.data_channels: list[RTCDataChannel] = []
        self._on_datachannel = on_datachannel
        self._pc.on("datachannel", self._adopt_channel)
        self._on_state = on_state
        self._pc.on("connectionstatechange", self._state_changed)

    def _adopt_channel(self, channel: RTCDataChannel) -> None:
        self.data_channels.append(channel)
        self._on_datachannel(channel)

    def _state_changed(self) -> None:
        state = self._pc.connectionState
        if state == "connected":
            self._ever_connected = True
            self.media.start_pump_catch_up()
        self._on_state(state)

    @property
    def connection_state(self) -> str:
        return self._pc.connectionState

    @property
    def ever_connected(self) -> bool:
        return self._ever_connected

    @functools.cached_property
    def liveness(self) -> adapt.Liveness:
        """When this connection last received anything (see adapt/liveness.py)."""
        return adapt.Liveness(self._pc)

    @property
    def media_route(self) -> str:
        """How media reaches the server: "udp", "tcp", "turn/udp|tcp|tls" ("" yet)."""
        return adapt.media_route(self._pc)

    @property
    def peer_connection(self) -> RTCPeerConnection:
        """The aiortc connection, for statistics (lkdesk.rtc.stats_collector)."""
        return self._pc

    @property
    def bindings(self) -> dict[str, str]:
        """Current mid → track sid map (copy)."""
        return self.media.bindings

    @property
    def recoveries(self) -> list[adapt.VideoRecovery]:
        """The video receivers' loss recovery (their RTT is kept current by the engine)."""
        return self.media.recoveries

    async def answer(
        self, offer_sdp: str, mid_to_track_id: dict[str, str]
    ) -> tuple[str, list[BindingChange]]:
        """Apply a server offer; return our answer SDP and how track bindings changed.

        An offer with new ICE credentials (the server restarts ICE after every resume) is
        answered with fresh local credentials and candidates, and checks run on them while
        DTLS, SRTP and SCTP carry on (adapt/ice_restart.py).
        """
        guarded = guard_offer(offer_sdp)
        if guarded.rejected_mids:
            logger.info("rejecting undecodable or closed m-lines %s", sorted(guarded.rejected_mids))
        restart = self._restarter.is_restart(guarded.sdp)
        if restart:
            try:
                await self._restarter.prepare(self._ice_servers)
            except (adapt.IceRestartError, adapt.DtlsSessionLost) as error:
                self._restart_error = error  # the resume waiting in ice_restarted() hears it
                self._restarted.set()
                raise
        await self._pc.setRemoteDescription(RTCSessionDescription(guarded.sdp, "offer"))
        sections = parse_sections(guarded.sdp)
        changes = self.media.rebind(sections, mid_to_track_id, guarded.rejected_mids)
        answer = await self._pc.createAnswer()
        adapt.prepare_gathering(self._pc, turn_tls=self._turn_tls)
        await self._pc.setLocalDescription(answer)
        if restart:
            self._restarter.start()
            self._restarted.set()
        await self._flush_candidates()
        await adapt.start_idle_receivers(self._pc)
        sdp = finish_answer(self._pc.localDescription.sdp, guarded.rejected_mids)
        if not self._answered:
            sdp, self._late_candidates = hold_relay_candidates(sdp)
        self._answered = True
        return sdp, changes

    async def late_candidates(self, limit_s: float = LATE_CANDIDATES_WAIT_S) -> list[LateCandidate]:
        """The first answer's relay candidates, once a check has succeeded (or ``limit_s``).

        See :func:`hold_relay_candidates`: sent after a check succeeded, they make the server
        nominate the checked pair at once. Empty after the first call.
        """
        held, self._late_candidates = self._late_candidates, []
        if held:
            deadline = asyncio.get_running_loop().time() + limit_s
            while not adapt.a_pair_succeeded(self._pc):
                if asyncio.get_running_loop().time() >= deadline:
                    break
                await asyncio.sleep(0.005)
        return held

    def expect_ice_restart(self, ice_urls: list[IceUrl]) -> None:
        """A resume began: the server's next offer restarts ICE, with these servers."""
        self._ice_servers = rtc_configuration(ice_urls, force_relay=self._force_relay).iceServers
        self._restarted.clear()
        self._restart_error = None

    async def ice_restarted(self) -> None:
        """Wait for the server's ICE-restart offer, then for the new path to carry media.

        Raises ``IceRestartError`` when the checks fail or time out, ``DtlsSessionLost``
        when this PC's DTLS session is gone (only a full rejoin can help then).
        """
        await self._restarted.wait()
        if self._restart_error is not None:
            raise self._restart_error
        await self._restarter.wait()

    async def add_remote_candidate(self, candidate_init: str) -> None:
        """Add one trickled server candidate (JSON ``RTCIceCandidateInit``)."""
        candidate = candidate_from_init(candidate_init)
        if candidate is None:
            return
        if self._pc.remoteDescription is None:
            self._pending_candidates.append(candidate)
            return
        await self._pc.addIceCandidate(candidate)

    async def _flush_candidates(self) -> None:
        pending, self._pending_candidates = self._pending_candidates, []
        for candidate in pending:
            await self._pc.addIceCandidate(candidate)

    async def close(self) -> None:
        """Close the peer connection and await every pump."""
        await self._keeper.aclose()
        await self._restarter.aclose()
        adapt.bound_turn_release(self._pc)
        await self._pc.close()
        await self.media.aclose()

"""The publisher peer connection: we offer, the server answers (v0 dual-PC mode).

Created on first need (publishing or sending data). Negotiations are serialized; each
offer carries an id the server echoes in its answer. Data channels ``_reliable`` and
``_lossy`` are created before the first offer so it always has an ``m=application``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Callable

from aiortc import RTCIceCandidate, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.rtcdatachannel import RTCDataChannel
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from livekit.protocol import rtc as proto_rtc

from lkdesk.core.errors import LkdeskError, MediaNegotiationError
from lkdesk.core.tasks import TaskSet
from lkdesk.core.waits import first_set
from lkdesk.rtc.engine import adapt
from lkdesk.rtc.engine.ice import IceUrl, candidate_from_init, rtc_configuration
from lkdesk.rtc.engine.media_tracks import SourceAudioTrack, SourceVideoTrack
from lkdesk.rtc.engine.sdp_tools import without_redundant_candidates

logger = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 10.0


class PublisherConnection:
    """Owns the publisher ``RTCPeerConnection`` and its two data channels."""

    def __init__(
        self,
        ice_urls: list[IceUrl],
        *,
        force_relay: bool,
        send_signal: Callable[[proto_rtc.SignalRequest], None],
        turn_tls: ssl.SSLContext | None = None,
    ) -> None:
        self._pc = RTCPeerConnection(rtc_configuration(ice_urls, force_relay=force_relay))
        self._force_relay = force_relay
        self._restarter = adapt.IceRestarter(self._pc)
        self._keeper = adapt.SessionKeeper(self._pc, self._restarter)
        self._turn_tls = turn_tls
        self._send_signal = send_signal
        self._add_initial_media()
        self.reliable: RTCDataChannel = self._pc.createDataChannel("_reliable", ordered=True)
        self.lossy: RTCDataChannel = self._pc.createDataChannel(
            "_lossy", ordered=False, maxRetransmits=0
        )
        self._lock = asyncio.Lock()
        self._offer_id = 0
        self._answers: dict[int, asyncio.Future[proto_rtc.SessionDescription]] = {}
        #: The last offer sent and the answer applied (a single-PC resume's SyncState).
        self.last_offer: proto_rtc.SessionDescription | None = None
        self.last_answer: proto_rtc.SessionDescription | None = None
        self._pending_candidates: list[RTCIceCandidate] = []
        self._connected = asyncio.Event()
        self._failed = asyncio.Event()
        self._tasks = TaskSet("publisher")
        self._pc.on("connectionstatechange", self._state_changed)

    def _add_initial_media(self) -> None:
        """Hook: media lines that must exist before the data channels (single_pc.py)."""

    @property
    def connection_state(self) -> str:
        return self._pc.connectionState

    @property
    def ever_connected(self) -> bool:
        return self._connected.is_set()

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

    def _state_changed(self) -> None:
        state = self._pc.connectionState
        logger.debug("publisher connection %s", state)
        if state == "connected":
            self._connected.set()
            self._tasks.spawn(adapt.start_idle_receivers(self._pc), "catch-up")
        elif state in ("failed", "closed"):
            self._failed.set()

    def add_track(
        self, track: SourceAudioTrack | SourceVideoTrack, codec: str
    ) -> RTCRtpTransceiver:
        """Add a send-only transceiver preferring ``codec`` (e.g. "vp8", "opus")."""
        transceiver = self._pc.addTransceiver(track, direction="sendonly")
        prefer_codec(transceiver, codec)
        return transceiver

    def remove_track(self, transceiver: RTCRtpTransceiver) -> None:
        """Stop sending on ``transceiver``; the next negotiation tells the server."""
        transceiver.direction = "inactive"
        transceiver.sender.replaceTrack(None)

    async def negotiate(self) -> None:
        """Offer our current state and apply the server's answer (serialized)."""
        async with self._lock:
            offer = await self._pc.createOffer()
            adapt.prepare_gathering(self._pc, turn_tls=self._turn_tls)
            await self._pc.setLocalDescription(offer)
            self._offer_id += 1
            offer_id = self._offer_id
            answer: asyncio.Future[proto_rtc.SessionDescription] = (
                asyncio.get_running_loop().create_future()
            )
            self._answers[offer_id] = answer
            offer_message = proto_rtc.SessionDescription(
                type="offer",
                sdp=without_redundant_candidates(self._pc.localDescription.sdp),
                id=offer_id,
            )
            self._send_signal(proto_rtc.SignalRequest(offer=offer_message))
            try:
                async with asyncio.timeout(ANSWER_TIMEOUT_S):
                    description = await answer
            except TimeoutError as exc:
                raise MediaNegotiationError(
                    "The server did not answer our media offer within 10 s."
                ) from exc
            finally:
                self._answers.pop(offer_id, None)
            await self._pc.setRemoteDescription(RTCSessionDescription(description.sdp, "answer"))
            self.last_offer, self.last_answer = offer_message, description
            self._answer_applied(description)
            pending, self._pending_candidates = self._pending_candidates, []
            for candidate in pending:
                await self._pc.addIceCandidate(candidate)
            await adapt.start_idle_receivers(self._pc)

    def _answer_applied(self, answer: proto_rtc.SessionDescription) -> None:
        """Hook: the server's answer is now the remote description (single_pc.py)."""

    def abandon_offers(self) -> None:
        """Offers sent on signalling that is gone will get no answer: fail their waits."""
        for future in self._answers.values():
            if not future.done():
                future.set_exception(MediaNegotiationAbandoned("signalling was replaced"))

    async def restart_ice(self, ice_urls: list[IceUrl]) -> None:
        """Offer with fresh ICE credentials and run checks on them (a resume's step).

        DTLS, SRTP and SCTP (our data channels, with what they still owe the server) carry
        on. Raises ``IceRestartError`` or ``MediaNegotiationError`` when it does not work.
        A connection that never connected (created just before the signalling dropped) has
        no session to keep and nothing to restart: it offers again on the new signalling,
        the answer to an offer in flight having gone to the old one, and connects from there.
        """
        if not self.ever_connected:
            if self._pc.connectionState == "failed":
                raise adapt.DtlsSessionLost("the publisher connection failed before connecting")
            self.abandon_offers()
            await self.negotiate()
            return
        servers = rtc_configuration(ice_urls, force_relay=self._force_relay).iceServers
        await self._restarter.prepare(servers)
        await self.negotiate()
        self._restarter.start()
        await self._restarter.wait()

    def on_answer(self, description: proto_rtc.SessionDescription) -> None:
        """Route a server answer to the offer it answers (servers without ids: the latest)."""
        offer_id = description.id or self._offer_id
        future = self._answers.get(offer_id)
        if future is None or future.done():
            logger.debug("ignoring a stale publisher answer (id %d)", description.id)
            return
        future.set_result(description)

    async def add_remote_candidate(self, candidate_init: str) -> None:
        """Add a trickled server candidate; kept until the answer is applied.

        The server trickles its candidates as soon as it has our offer, often before its
        answer. Dropping them was harmless while the server's checks to our host address
        taught aioice its address anyway; behind a firewall dropping UDP (relay only) no
        check gets in until we send to the server first, so every candidate counts.
        """
        candidate = candidate_from_init(candidate_init)
        if candidate is None:
            return
        if self._pc.remoteDescription is None:
            self._pending_candidates.append(candidate)
            return
        await self._pc.addIceCandidate(candidate)

    async def wait_connected(self, limit_s: float) -> None:
        """Wait until ICE and DTLS are up; raise :class:`MediaNegotiationError` otherwise."""
        if not await first_set(self._connected, self._failed, limit_s):
            raise MediaNegotiationError(
                "The media connection for publishing could not be established "
                "(UDP blocked, or the server's ICE address is unreachable)."
            )

    async def close(self) -> None:
        for future in self._answers.values():
            future.cancel()
        await self._keeper.aclose()
        await self._restarter.aclose()
        adapt.bound_turn_release(self._pc)
        await self._pc.close()
        await self._tasks.aclose()


def prefer_codec(transceiver: RTCRtpTransceiver, codec: str) -> None:
    """Offer ``codec`` (plus RTX) when aiortc has it, and never a codec it cannot encode.

    The engine registers VP9 and AV1 in aiortc's codec table for receiving only
    (adapt/receive_codecs.py); a sender must not offer them.
    """
    capabilities = RTCRtpSender.getCapabilities(transceiver.kind)
    sendable = [c for c in capabilities.codecs if adapt.can_send(c.name)]
    preferred = [c for c in sendable if c.name.lower() == codec.lower()]
    rtx = [c for c in sendable if c.name.lower() == "rtx"]
    if preferred:
        transceiver.setCodecPreferences(preferred + rtx)
    elif len(sendable) < len(capabilities.codecs):
        transceiver.setCodecPreferences(sendable)


class MediaNegotiationAbandoned(LkdeskError):
    """An offer's answer will not come: the signalling connection it was sent on is gone."""

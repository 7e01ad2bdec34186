"""The subscriber peer connection: the server offers, we answer (v0 dual-PC mode).

Media is keyed by ``mid``, not by aiortc track objects: LiveKit reuses an idle m-line for a
new track (new SSRC, same mid), which aiortc 1.16 does not notice. After every offer we
work out which track sid each mid now carries and report the changes; one pump task per
aiortc receiver forwards decoded frames to whatever track the mid is bound to right now.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiortc import RTCIceCandidate, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcdatachannel import RTCDataChannel

from lkdesk.core.tasks import TaskSet
from lkdesk.rtc.engine import adapt
from lkdesk.rtc.engine.ice import IceUrl, candidate_from_init, rtc_configuration
from lkdesk.rtc.engine.sdp_tools import MediaSection, finish_answer, guard_offer, parse_sections

logger = logging.getLogger(__name__)

adapt.check_compatible()
adapt.install_receive_codecs()  # VP9 and AV1 besides aiortc's VP8 and H.264


@dataclass(frozen=True, slots=True)
class BindingChange:
    """``mid`` stopped carrying ``old_sid`` and/or started carrying ``new_sid``."""

    mid: str
    old_sid: str | None
    new_sid: str | None


FrameHandler = Callable[[str, Any], None]


class FrameCrypto(Protocol):
    """End-to-end encryption's receive side: the decryptor for a frame of a track sid."""

    def receiver(self, track_sid: str | None) -> adapt.FrameDecryptor: ...


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
        self._restarted = asyncio.Event()
        self._turn_tls = turn_tls
        self._on_frame = on_frame
        self._frame_crypto = frame_crypto
        self._bindings: dict[str, str] = {}
        self._ssrcs: dict[str, int | None] = {}
        self._pending_candidates: list[RTCIceCandidate] = []
        self._pumps = TaskSet("subscriber")
        self._pc.on("track", self._on_track)
        self.data_channels: list[RTCDataChannel] = []
        self.recoveries: list[adapt.VideoRecovery] = []
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
            self._pumps.spawn(adapt.start_idle_receivers(self._pc), "catch-up")
        self._on_state(state)

    @property
    def connection_state(self) -> str:
        return self._pc.connectionState

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
        return dict(self._bindings)

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
            await self._restarter.prepare(self._ice_servers)
        await self._pc.setRemoteDescription(RTCSessionDescription(guarded.sdp, "offer"))
        sections = parse_sections(guarded.sdp)
        changes = self._rebind(sections, guarded.rejected_mids, mid_to_track_id)
        answer = await self._pc.createAnswer()
        adapt.prepare_gathering(self._pc, turn_tls=self._turn_tls)
        await self._pc.setLocalDescription(answer)
        if restart:
            self._restarter.start()
            self._restarted.set()
        await self._flush_candidates()
        await adapt.start_idle_receivers(self._pc)
        return finish_answer(self._pc.localDescription.sdp, guarded.rejected_mids), changes

    def expect_ice_restart(self, ice_urls: list[IceUrl]) -> None:
        """A resume began: the server's next offer restarts ICE, with these servers."""
        self._ice_servers = rtc_configuration(ice_urls, force_relay=self._force_relay).iceServers
        self._restarted.clear()

    async def ice_restarted(self) -> None:
        """Wait for the server's ICE-restart offer, then for the new path to carry media.

        Raises ``IceRestartError`` when the checks fail or time out.
        """
        await self._restarted.wait()
        await self._restarter.wait()

    def _rebind(
        self,
        sections: list[MediaSection],
        rejected: frozenset[str],
        mid_to_track_id: dict[str, str],
    ) -> list[BindingChange]:
        changes: list[BindingChange] = []
        transceivers = {t.mid: t for t in self._pc.getTransceivers()}
        for section in sections:
            if section.kind not in ("audio", "video"):
                continue
            mid = section.mid
            new_sid: str | None = None
            if section.sends and mid not in rejected:
                new_sid = mid_to_track_id.get(mid) or section.msid_track or None
            old_sid = self._bindings.get(mid)
            old_ssrc = self._ssrcs.get(mid)
            if new_sid is not None and section.ssrc is not None and section.ssrc != old_ssrc:
                transceiver = transceivers.get(mid)
                if transceiver is not None and old_ssrc is not None:
                    adapt.rebind_receiver(transceiver, ssrc=section.ssrc, rtx_ssrc=section.rtx_ssrc)
                self._ssrcs[mid] = section.ssrc
            if new_sid is None:
                self._bindings.pop(mid, None)
            else:
                self._bindings[mid] = new_sid
            if new_sid != old_sid:
                changes.append(BindingChange(mid, old_sid, new_sid))
        return changes

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

    def _on_track(self, track: MediaStreamTrack) -> None:
        mid = next(
            (t.mid for t in self._pc.getTransceivers() if t.receiver.track is track),
            None,
        )
        if mid is None:
            logger.warning("track event without a transceiver; ignored")
            return
        receiver = next(t.receiver for t in self._pc.getTransceivers() if t.mid == mid)
        if track.kind == "video":  # lost frames are dropped and a keyframe asked for
            self.recoveries.append(adapt.install_video_recovery(receiver))
        crypto = self._frame_crypto
        if crypto is not None:  # decrypted in the decoder thread, per the mid's track now
            adapt.install_receive_crypto(receiver, lambda: crypto.receiver(self._bindings.get(mid)))
        self._pumps.spawn(self._pump(mid, track), f"pump-{mid}")

    async def _pump(self, mid: str, track: MediaStreamTrack) -> None:
        """Always drain the receiver (its queue is unbounded) and forward to the bound sid."""
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            sid = self._bindings.get(mid)
            if sid is not None:
                self._on_frame(sid, frame)

    async def close(self) -> None:
        """Close the peer connection and await every pump."""
        await self._restarter.aclose()
        adapt.bound_turn_release(self._pc)
        await self._pc.close()
        await self._pumps.aclose()

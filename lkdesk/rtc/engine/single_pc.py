"""Single-peer-connection mode (``/rtc/v1``): one PC we offer on carries media both ways.

The server never offers in this mode (PROTOCOL_NOTES §2.6). Our PC holds our send-only
tracks, the data channels (downstream data arrives on them too) and receive-only media
lines the server fills through its answers: it asks for more with a
``MediaSectionsRequirement``, we add that many receive-only transceivers and offer again,
and its answer binds tracks to them (``mid_to_track_id``). An answer may also move a media
line to another track with a new SSRC (m-line reuse), which :class:`RemoteMedia` follows.
Like livekit-client, three audio and three video lines exist before the first offer, so
the first subscriptions need no extra round trip.

Negotiation requests from the server are coalesced: while one negotiation runs, any number
of requests lead to one more offer, which covers them all.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable

from livekit.protocol import rtc as proto_rtc

from lkdesk.core.errors import LkdeskError
from lkdesk.rtc.engine import adapt
from lkdesk.rtc.engine.ice import IceUrl
from lkdesk.rtc.engine.publisher import MediaNegotiationAbandoned, PublisherConnection
from lkdesk.rtc.engine.remote_media import BindingChange, FrameCrypto, FrameHandler, RemoteMedia
from lkdesk.rtc.engine.sdp_tools import parse_sections

logger = logging.getLogger(__name__)

#: Receive-only media lines created before the first offer (as livekit-client does).
INITIAL_AUDIO_SECTIONS = 3
INITIAL_VIDEO_SECTIONS = 3
#: At most this many lines are added per MediaSectionsRequirement, and this many receive-only
#: lines exist in all: a malformed or hostile count must not make us build thousands.
MAX_SECTIONS_PER_REQUEST = 16
MAX_RECEIVE_SECTIONS = 128


class SinglePeerConnection(PublisherConnection):
    """The publisher connection of single-PC mode, also receiving every subscribed track.

    ``on_bound`` hears how each answer changed the mid → track sid bindings;
    ``on_state`` the PC's connection state; ``on_failed`` a renegotiation the server asked
    for that could not be done (the session then needs a full rejoin).
    """

    def __init__(
        self,
        ice_urls: list[IceUrl],
        *,
        force_relay: bool,
        send_signal: Callable[[proto_rtc.SignalRequest], None],
        on_frame: FrameHandler,
        on_bound: Callable[[list[BindingChange]], None],
        on_state: Callable[[str], None],
        on_failed: Callable[[str], None],
        turn_tls: ssl.SSLContext | None = None,
        frame_crypto: FrameCrypto | None = None,
    ) -> None:
        self._receive_sections = 0
        self._on_frame = on_frame
        self._frame_crypto = frame_crypto
        super().__init__(
            ice_urls, force_relay=force_relay, send_signal=send_signal, turn_tls=turn_tls
        )
        self._on_bound = on_bound
        self._on_state = on_state
        self._on_failed = on_failed
        self._wanted = False  # another offer is due after the running negotiation
        self._held = False  # a resume is under way: its ICE-restart offer comes first
        self._negotiator: asyncio.Task[None] | None = None

    def _add_initial_media(self) -> None:
        """The first media lines, created before the data channels.

        With ``max-bundle`` aiortc 1.16 gives the first object created (transceiver or
        SCTP) the transport and marks the others bundled. Our offer lists media lines
        before ``m=application``, so the server's BUNDLE group starts with a media line:
        were SCTP the owner, applying the answer would stop the one shared transport
        ("bundled" transports are discarded) and route no trickled candidate.
        """
        self.media = RemoteMedia(self._pc, self._on_frame, self._frame_crypto)
        self.add_media_sections(INITIAL_AUDIO_SECTIONS, INITIAL_VIDEO_SECTIONS)

    @property
    def recoveries(self) -> list[adapt.VideoRecovery]:
        """The video receivers' loss recovery (their RTT is kept current by the engine)."""
        return self.media.recoveries

    @property
    def bindings(self) -> dict[str, str]:
        """Current mid → track sid map (copy)."""
        return self.media.bindings

    def _state_changed(self) -> None:
        super()._state_changed()
        self._on_state(self._pc.connectionState)

    def add_media_sections(self, audios: int, videos: int) -> int:
        """Add receive-only lines (clamped; see MAX_*); returns how many were added."""
        added = 0
        for kind, count in (("audio", audios), ("video", videos)):
            for _ in range(min(max(count, 0), MAX_SECTIONS_PER_REQUEST)):
                if self._receive_sections >= MAX_RECEIVE_SECTIONS:
                    logger.warning("not adding media lines beyond %d", MAX_RECEIVE_SECTIONS)
                    return added
                self._pc.addTransceiver(kind, direction="recvonly")
                self._receive_sections += 1
                added += 1
        return added

    def on_media_sections_requirement(
        self, requirement: proto_rtc.MediaSectionsRequirement
    ) -> None:
        """The server has tracks for us: add the lines it lacks, then offer again."""
        self.add_media_sections(requirement.num_audios, requirement.num_videos)
        self.request_negotiation()

    def request_negotiation(self) -> None:
        """Offer again soon; requests made while a negotiation runs share the next offer."""
        self._wanted = True
        if self._held:
            return
        if self._negotiator is None or self._negotiator.done():
            self._negotiator = self._tasks.spawn(self._negotiate_while_wanted(), "renegotiate")

    async def _negotiate_while_wanted(self) -> None:
        while self._wanted and not self._held:
            self._wanted = False
            try:
                await self.negotiate()
            except MediaNegotiationAbandoned:
                self._wanted = True  # offered into a dead socket: offer again once resumed
                return
            except (LkdeskError, OSError, ValueError) as error:
                logger.warning("renegotiation failed: %s", error)
                self._on_failed(f"the media renegotiation failed ({error})")
                return

    def hold_negotiations(self) -> None:
        """A resume begins: offers sent on the old signalling get no answer; wait for it."""
        self._held = True
        self.abandon_offers()

    async def restart_ice(self, ice_urls: list[IceUrl]) -> None:
        """A resume's ICE-restart offer; an offer sent meanwhile went to the old socket."""
        self.abandon_offers()
        await super().restart_ice(ice_urls)

    def release_negotiations(self) -> None:
        """The resume is done (or given up): offer again if the server asked meanwhile."""
        self._held = False
        if self._wanted:
            self.request_negotiation()

    def _answer_applied(self, answer: proto_rtc.SessionDescription) -> None:
        changes = self.media.rebind(parse_sections(answer.sdp), dict(answer.mid_to_track_id))
        if changes:
            self._on_bound(changes)

    async def close(self) -> None:
        await super().close()
        await self.media.aclose()


__all__ = ["MediaNegotiationAbandoned", "SinglePeerConnection"]

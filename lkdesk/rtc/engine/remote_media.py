"""The receiving half of a peer connection: frames routed by ``mid`` to the track sid it carries.

LiveKit's server reuses an idle media line (``mid``) for another track, with a new SSRC,
through offers in dual-PC mode and through *answers* in single-PC mode (PROTOCOL_NOTES
§2.6, §4.3). aiortc 1.16 notices neither: one receiver and one track object per ``mid`` for
good. So after each remote description this works out which track sid every ``mid`` now
carries, re-points a receiver whose SSRC changed (adapt/receivers.py) and reports the
changes; one pump task per aiortc receiver forwards decoded frames to whatever sid the
``mid`` is bound to at that moment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from lkdesk.core.tasks import TaskSet
from lkdesk.rtc.engine import adapt
from lkdesk.rtc.engine.sdp_tools import MediaSection

logger = logging.getLogger(__name__)

adapt.check_compatible()
adapt.install_receive_codecs()  # VP9 and AV1 besides aiortc's VP8 and H.264, on every PC

FrameHandler = Callable[[str, Any], None]


@dataclass(frozen=True, slots=True)
class BindingChange:
    """``mid`` stopped carrying ``old_sid`` and/or started carrying ``new_sid``."""

    mid: str
    old_sid: str | None
    new_sid: str | None


class FrameCrypto(Protocol):
    """End-to-end encryption's receive side: the decryptor for a frame of a track sid."""

    def receiver(self, track_sid: str | None) -> adapt.FrameDecryptor: ...


class RemoteMedia:
    """Binds the media lines ``pc`` receives to track sids and pumps their frames.

    Both the subscriber (two-PC mode) and the single PC receive through this, so video
    loss recovery, end-to-end decryption and the receive-only codecs apply to both.
    """

    def __init__(
        self,
        pc: RTCPeerConnection,
        on_frame: FrameHandler,
        frame_crypto: FrameCrypto | None = None,
    ) -> None:
        self._pc = pc
        self._on_frame = on_frame
        self._frame_crypto = frame_crypto
        self._bindings: dict[str, str] = {}
        self._ssrcs: dict[str, int | None] = {}
        self._pumps = TaskSet("remote-media")
        self.recoveries: list[adapt.VideoRecovery] = []
        pc.on("track", self._on_track)

    @property
    def bindings(self) -> dict[str, str]:
        """Current mid → track sid map (copy)."""
        return dict(self._bindings)

    def rebind(
        self,
        sections: list[MediaSection],
        mid_to_track_id: dict[str, str],
        rejected: frozenset[str] = frozenset(),
    ) -> list[BindingChange]:
        """Apply a remote description's ``sections`` (already set on the PC).

        A section the remote side sends on is bound to ``mid_to_track_id[mid]`` (or its
        msid's track id, for servers without the map); any other section is unbound.
        """
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
                # A receiver aiortc already started (on an earlier stream, or on a line the
                # server declared sending with no SSRC yet) only hears the new SSRC if told;
                # one not started yet registers it itself when it starts.
                transceiver = transceivers.get(mid)
                if transceiver is not None:
                    adapt.rebind_receiver(transceiver, ssrc=section.ssrc, rtx_ssrc=section.rtx_ssrc)
                self._ssrcs[mid] = section.ssrc
            if new_sid is None:
                self._bindings.pop(mid, None)
            else:
                self._bindings[mid] = new_sid
            if new_sid != old_sid:
                changes.append(BindingChange(mid, old_sid, new_sid))
        return changes

    def _on_track(self, track: MediaStreamTrack) -> None:
        transceiver = next(
            (t for t in self._pc.getTransceivers() if t.receiver.track is track), None
        )
        if transceiver is None or transceiver.mid is None:
            logger.warning("track event without a transceiver; ignored")
            return
        mid = transceiver.mid
        receiver = transceiver.receiver
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

    def start_pump_catch_up(self) -> None:
        """Start receivers aiortc left idle (the connection just came up)."""
        self._pumps.spawn(adapt.start_idle_receivers(self._pc), "catch-up")

    async def aclose(self) -> None:
        """Await every pump (call after the peer connection closed: its tracks ended)."""
        await self._pumps.aclose()

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
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from lkdesk.core.tasks import TaskSet
from lkdesk.rtc.engine import adapt
from lkdesk.rtc.engine.sdp_tools import MediaSection
from lkdesk.rtc.engine.subscriber import BindingChange

logger = logging.getLogger(__name__)

FrameHandler = Callable[[str, Any], None]


class RemoteMedia:
    """Binds the media lines ``pc`` receives to track sids and pumps their frames."""

    def __init__(self, pc: RTCPeerConnection, on_frame: FrameHandler) -> None:
        self._pc = pc
        self._on_frame = on_frame
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
        if track.kind == "video":  # lost frames are dropped and a keyframe asked for
            self.recoveries.append(adapt.install_video_recovery(transceiver.receiver))
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

    async def aclose(self) -> None:
        """Await every pump (call after the peer connection closed: its tracks ended)."""
        await self._pumps.aclose()

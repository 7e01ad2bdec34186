"""The room's remote participants: applying the server's snapshots, emitting what changed.

Events come out in the order the official SDK emits them (participant_connected before its
track_published, track_unpublished before participant_disconnected), with its names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk.rtc.participant import Event, LocalParticipant, RemoteParticipant
from lkdesk.rtc.permissions import status
from lkdesk.rtc.publication import SubscriptionControl
from lkdesk.rtc.subscriptions import Subscriptions
from lkdesk.rtc.types import ConnectionQuality

logger = logging.getLogger(__name__)

#: How long data written during a full rejoin waits for the people who were in the room.
AUDIENCE_WAIT_S = 4.0
_QUALITY = {
    proto_models.ConnectionQuality.POOR: ConnectionQuality.QUALITY_POOR,
    proto_models.ConnectionQuality.GOOD: ConnectionQuality.QUALITY_GOOD,
    proto_models.ConnectionQuality.EXCELLENT: ConnectionQuality.QUALITY_EXCELLENT,
    proto_models.ConnectionQuality.LOST: ConnectionQuality.QUALITY_LOST,
}


class Roster:
    """Remote participants by identity, kept in step with ParticipantUpdates."""

    def __init__(
        self,
        *,
        emit: Callable[..., None],
        subscriptions: Subscriptions,
        left: Callable[[str], None],
        auto_subscribe: Callable[[], bool],
    ) -> None:
        self.participants: dict[str, RemoteParticipant] = {}
        self._remembered: set[str] = set()
        self.active_speakers: list[RemoteParticipant] = []
        self._emit = emit
        self._subscriptions = subscriptions
        self._left = left
        self._auto_subscribe = auto_subscribe

    @property
    def _control(self) -> SubscriptionControl:
        return self._subscriptions

    def owner_of(self, track_sid: str) -> RemoteParticipant | None:
        for participant in self.participants.values():
            if track_sid in participant.track_publications:
                return participant
        return None

    # ----- snapshots -----------------------------------------------------------------------

    def joined(self, infos: list[proto_models.ParticipantInfo]) -> None:
        """The first session's participant list: no events, as in the official SDK."""
        for info in infos:
            participant = RemoteParticipant(info, self._control)
            self.participants[info.identity] = participant
            participant.apply_info(info, initial=True)
        self.subscribe_all()

    def rejoined(self, infos: list[proto_models.ParticipantInfo]) -> None:
        """After a full rejoin: keep who is still here, announce who left or arrived."""
        present = {info.identity: info for info in infos}
        for identity, participant in list(self.participants.items()):
            info = present.get(identity)
            if info is None or info.sid != participant.sid:
                self.remove(participant)
        for info in infos:
            self.apply(info)

    def remember_present(self) -> None:
        """Note who is here now (the connection was lost; a rejoin follows)."""
        self._remembered = set(self.participants)

    async def wait_for_remembered(self, limit_s: float = AUDIENCE_WAIT_S) -> None:
        """Wait (at most ``limit_s``) until everyone noted is in the room again.

        After a server crash everyone rejoins; the server delivers data only to those in the
        room, so what was written meanwhile waits until its readers are back."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit_s):
                while not self._remembered <= set(self.participants):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)

    def subscribe_all(self) -> None:
        if self._auto_subscribe():
            for participant in self.participants.values():
                for publication in participant.track_publications.values():
                    self._subscriptions.auto_subscribe(participant, publication)

    def update(self, infos: tuple[proto_models.ParticipantInfo, ...], local: Any) -> None:
        for info in infos:
            if isinstance(local, LocalParticipant) and info.sid == local.sid:
                self.emit_all(local.apply_info(info))
            else:
                self.apply(info)
        self._subscriptions.retry_bound()

    def apply(self, info: proto_models.ParticipantInfo) -> None:
        participant = self.participants.get(info.identity)
        if info.state == proto_models.ParticipantInfo.DISCONNECTED:
            if participant is not None and participant.sid == info.sid:
                self.remove(participant)
            return
        if participant is not None and participant.sid != info.sid:
            self.remove(participant)  # the same identity joined again
            participant = None
        if participant is None:
            participant = RemoteParticipant(info, self._control)
            self.participants[info.identity] = participant
            self._emit("participant_connected", participant)
            events = participant.apply_info(info, initial=True)
        else:
            events = participant.apply_info(info)
        self.emit_all(events)

    def emit_all(self, events: list[Event]) -> None:
        for name, args in events:
            if name == "track_unpublished":
                publication, _participant = args
                self._subscriptions.unpublished(publication.sid)
            self._emit(name, *args)
            if name == "track_published" and self._auto_subscribe():
                publication, participant = args
                self._subscriptions.auto_subscribe(participant, publication)

    def remove(self, participant: RemoteParticipant) -> None:
        self._left(participant.identity)
        for publication in list(participant.track_publications.values()):
            self._subscriptions.unpublished(publication.sid)
            self._emit("track_unpublished", publication, participant)
        participant.track_publications.clear()
        self.participants.pop(participant.identity, None)
        self._emit("participant_disconnected", participant)

    # ----- speakers and quality ----------------------------------------------------------------

    def speakers_changed(self, speakers: tuple[proto_models.SpeakerInfo, ...]) -> None:
        by_sid = {p.sid: p for p in self.participants.values()}
        for speaker in speakers:
            participant = by_sid.get(speaker.sid)
            if participant is not None:
                participant.audio_level = speaker.level if speaker.active else 0.0
                participant.is_speaking = speaker.active
        speaking = [p for p in self.participants.values() if p.is_speaking]
        speaking.sort(key=lambda p: p.audio_level, reverse=True)
        self.active_speakers = speaking
        self._emit("active_speakers_changed", list(speaking))

    def quality_updated(self, updates: tuple[proto_rtc.ConnectionQualityInfo, ...]) -> None:
        by_sid = {p.sid: p for p in self.participants.values()}
        for info in updates:
            participant = by_sid.get(info.participant_sid)
            quality = _QUALITY.get(info.quality, ConnectionQuality.QUALITY_GOOD)
            if participant is not None and participant.connection_quality != quality:
                participant.connection_quality = quality
                self._emit("connection_quality_changed", participant, quality)

    def permission_changed(self, participant_sid: str, track_sid: str, allowed: bool) -> None:
        """A publisher allowed or refused us a track (``track_subscription_permission_changed``)."""
        by_sid = {p.sid: p for p in self.participants.values()}
        participant = by_sid.get(participant_sid)
        publication = participant.track_publications.get(track_sid) if participant else None
        if participant is None or publication is None:
            logger.debug("permission update for unknown track %s; ignored", track_sid)
            return
        if publication.subscription_allowed != allowed:
            publication.subscription_allowed = allowed
            self._emit(
                "track_subscription_permission_changed", participant, publication, status(allowed)
            )

    def subscription_failed(self, track_sid: str, error: str) -> None:
        participant = self.owner_of(track_sid)
        if participant is not None:
            self._emit("track_subscription_failed", participant, track_sid, error)

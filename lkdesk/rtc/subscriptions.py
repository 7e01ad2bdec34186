"""Subscriptions: which remote tracks we want, and the ``RemoteTrack`` of each one received.

The server binds a track to a subscriber media line (``mid``) in an offer and names it in a
ParticipantUpdate; the two arrive in either order, so a bound track waits here until its
publication is known. Decoded frames are routed by track sid to the track's streams.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from lkdesk.rtc.engine.engine import RtcEngine
from lkdesk.rtc.engine.events import TrackBound
from lkdesk.rtc.participant import RemoteParticipant
from lkdesk.rtc.publication import RemoteTrackPublication
from lkdesk.rtc.track import RemoteTrack

logger = logging.getLogger(__name__)


class Subscriptions:
    """The room's subscription state; implements a publication's ``SubscriptionControl``."""

    def __init__(
        self,
        engine: RtcEngine,
        *,
        emit: Callable[..., None],
        owner_of: Callable[[str], RemoteParticipant | None],
    ) -> None:
        self._engine = engine
        self._emit = emit
        self._owner_of = owner_of
        self._wanted: set[str] = set()
        self._received: dict[
            str, tuple[RemoteTrack, RemoteTrackPublication, RemoteParticipant]
        ] = {}
        self._bound_unknown: set[str] = set()  # bound to a mid before its publication is known
        self._bound: set[str] = set()  # every track sid a subscriber media line carries now

    # ----- SubscriptionControl --------------------------------------------------------------

    def is_wanted(self, publication: RemoteTrackPublication) -> bool:
        return publication.sid in self._wanted

    def request_subscription(self, publication: RemoteTrackPublication, subscribe: bool) -> None:
        if subscribe:
            self._wanted.add(publication.sid)
        else:
            self._wanted.discard(publication.sid)
        owner = self._owner_of(publication.sid)
        self._engine.update_subscription(publication.sid, owner.sid if owner else "", subscribe)

    def request_track_settings(self, publication: RemoteTrackPublication) -> None:
        width, height = publication.video_dimensions or (0, 0)
        self._engine.update_track_settings(
            publication.sid, enabled=publication.enabled, width=width, height=height
        )

    # ----- the room's events ------------------------------------------------------------------

    def auto_subscribe(
        self, participant: RemoteParticipant, publication: RemoteTrackPublication
    ) -> None:
        """Subscribe to a new publication lkdesk can decode; say why not otherwise."""
        if publication.decodable:
            publication.set_subscribed(True)
        else:
            self._emit(
                "track_subscription_failed",
                participant,
                publication.sid,
                f"lkdesk cannot decode {', '.join(publication.codecs)}",
            )

    def on_bound(self, event: TrackBound) -> None:
        if event.old_sid is not None:
            self._bound.discard(event.old_sid)
            self._bound_unknown.discard(event.old_sid)
            self.drop(event.old_sid)
        if event.new_sid is not None:
            self._bound.add(event.new_sid)
            self._bound_unknown.add(event.new_sid)
            self.retry_bound()

    def retry_bound(self) -> None:
        """Create the tracks whose publications are now known."""
        for sid in list(self._bound_unknown):
            owner = self._owner_of(sid)
            if owner is None:
                continue  # the ParticipantUpdate naming this track has not arrived yet
            self._bound_unknown.discard(sid)
            publication = owner.track_publications[sid]
            if publication.track is None:
                track = publication.make_track()
                publication.track = track
                self._received[sid] = (track, publication, owner)
                self._emit("track_subscribed", track, publication, owner)

    def unpublished(self, sid: str) -> None:
        """A publication went away: its track ends and we stop wanting it.

        While its media line still carries it (a move to a room the publisher is in too),
        a publication announced again with that sid gets its track back at once.
        """
        self._wanted.discard(sid)
        self.drop(sid)
        if sid in self._bound:
            self._bound_unknown.add(sid)

    def drop(self, sid: str) -> None:
        entry = self._received.pop(sid, None)
        if entry is None:
            return
        track, publication, participant = entry
        publication.track = None
        track.end()
        self._emit("track_unsubscribed", track, publication, participant)

    def track_of(self, sid: str) -> RemoteTrack | None:
        entry = self._received.get(sid)
        return entry[0] if entry is not None else None

    def deliver(self, sid: str, frame: Any) -> None:
        entry = self._received.get(sid)
        if entry is not None:
            entry[0].deliver(frame)

    def resend_track_settings(self) -> None:
        """After a resume, the server is told again what each received video should be."""
        for _track, publication, _participant in self._received.values():
            if not publication.enabled or publication.video_dimensions is not None:
                self.request_track_settings(publication)

    def sync(self) -> tuple[list[str], list[str]]:
        """Tracks we want, and those we want but paused (for a resume's SyncState)."""
        disabled = [sid for sid, (_t, pub, _p) in self._received.items() if not pub.enabled]
        return sorted(self._wanted), disabled

    # ----- sessions --------------------------------------------------------------------------

    def session_ended(self) -> None:
        """Media of the old session stops; what we wanted is asked for again on rejoin."""
        for sid in list(self._received):
            self.drop(sid)
        self._bound_unknown.clear()
        self._bound.clear()

    def rejoined(self, participants: list[RemoteParticipant]) -> None:
        """Ask the new session for every track we still want."""
        present = {
            sid: participant
            for participant in participants
            for sid in participant.track_publications
        }
        self._wanted &= set(present)
        for sid in self._wanted:
            self._engine.update_subscription(sid, present[sid].sid, True)

    def close(self) -> None:
        self.session_ended()
        self._wanted.clear()

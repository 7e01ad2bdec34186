"""A real call's captions and connection details, on lkdesk.rtc's Room.

Captions come from ``transcription_received`` (agents, transcription services); the
connection details poll ``Room.get_rtc_stats()`` once a second while someone watches.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from lkdesk import rtc
from lkdesk.core.errors import LkdeskError
from lkdesk.core.tasks import TaskSet
from lkdesk.session.call_stats import DetailsBuilder, TrackOwner
from lkdesk.session.model import Quality, TileKey, VideoKind

if TYPE_CHECKING:
    from lkdesk.session.base import Session

logger = logging.getLogger(__name__)

DETAILS_PERIOD_S = 1.0
_SCREEN = (rtc.TrackSource.SOURCE_SCREENSHARE, rtc.TrackSource.SOURCE_SCREENSHARE_AUDIO)


class CallInsights:
    """Feeds the session's captions and, while watched, its connection details."""

    def __init__(self, session: Session, room: rtc.Room, tasks: TaskSet) -> None:
        self._session = session
        self._room = room
        self._tasks = tasks
        self._poller: asyncio.Task[None] | None = None
        room.on("transcription_received", self._on_transcription)

    def close(self) -> None:
        self._room.off("transcription_received", self._on_transcription)
        self.watch(False)

    # ----- captions ----------------------------------------------------------------------

    def _on_transcription(
        self, segments: list[rtc.TranscriptionSegment], participant: Any, _pub: Any
    ) -> None:
        s = self._session
        identity = participant.identity if participant is not None else ""
        is_local = bool(identity) and identity == s.local_identity
        if is_local:
            name = s.local_name
        else:
            state = s.participant(identity)
            name = state.display_name if state is not None else (identity or "Someone")
        for segment in segments:
            s._captions.update(
                speaker_identity=identity,
                speaker_name=name,
                segment_id=segment.id,
                text=segment.text,
                final=segment.final,
                is_local=is_local,
            )

    # ----- connection details ------------------------------------------------------------

    def watch(self, on: bool) -> None:
        if on and (self._poller is None or self._poller.done()):
            self._poller = self._tasks.spawn(self._poll(), "connection-details")
        elif not on and self._poller is not None:
            self._poller.cancel()
            self._poller = None

    async def _poll(self) -> None:
        builder = DetailsBuilder()
        while True:
            try:
                stats = await self._room.get_rtc_stats()
            except LkdeskError as exc:  # reconnecting: no connections to read
                logger.debug("no statistics now: %s", exc)
            else:
                details = builder.build(stats, time.monotonic(), self._owner)
                self._session.events.emit("connection_details", details)
            await asyncio.sleep(DETAILS_PERIOD_S)

    def _owner(self, sid: str) -> TrackOwner | None:
        """Whose track ``sid`` is: its tile, their name, the server's view of their link."""
        s = self._session
        local = self._room.local_participant
        if local is not None and sid in local.track_publications:
            source = local.track_publications[sid].source
            kind = VideoKind.SCREEN if source in _SCREEN else VideoKind.CAMERA
            return TrackOwner(TileKey(s.local_identity, kind), "You")
        for participant in self._room.remote_participants.values():
            publication = participant.track_publications.get(sid)
            if publication is not None:
                kind = VideoKind.SCREEN if publication.source in _SCREEN else VideoKind.CAMERA
                state = s.participant(participant.identity)
                name = state.display_name if state is not None else participant.identity
                quality = state.quality if state is not None else Quality.GOOD
                return TrackOwner(TileKey(participant.identity, kind), name, quality)
        return None

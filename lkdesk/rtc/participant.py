"""Participants. Applying a ``ParticipantInfo`` returns the events the change implies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from livekit.protocol import models as proto_models

from lkdesk.errors import RoomError
from lkdesk.rtc.local_track import LocalTrack, LocalTrackPublication, TrackPublishOptions
from lkdesk.rtc.publication import RemoteTrackPublication, SubscriptionControl
from lkdesk.rtc.types import ConnectionQuality

if TYPE_CHECKING:
    from lkdesk.rtc.publishing import LocalMedia

Event = tuple[str, tuple[Any, ...]]


class LocalUpdater(Protocol):
    """Sends an UpdateParticipantMetadata request and waits for the server's answer."""

    async def __call__(
        self,
        *,
        name: str | None = None,
        metadata: str | None = None,
        attributes: dict[str, str] | None = None,
    ) -> None: ...


class Participant:
    """Fields shared by local and remote participants (names as in the official SDK)."""

    def __init__(self, info: proto_models.ParticipantInfo) -> None:
        self._info = info
        self.sid = info.sid
        self.identity = info.identity

    @property
    def name(self) -> str:
        return self._info.name

    @property
    def metadata(self) -> str:
        return self._info.metadata

    @property
    def attributes(self) -> dict[str, str]:
        return dict(self._info.attributes)

    @property
    def kind(self) -> int:
        return self._info.kind

    @property
    def permissions(self) -> proto_models.ParticipantPermission:
        return self._info.permission

    @property
    def info(self) -> proto_models.ParticipantInfo:
        """The latest protobuf snapshot the server sent for this participant."""
        return self._info

    def _diff_fields(self, old: proto_models.ParticipantInfo) -> list[Event]:
        new = self._info
        events: list[Event] = []
        if old.name != new.name:
            events.append(("participant_name_changed", (self, old.name, new.name)))
        if old.metadata != new.metadata:
            events.append(("participant_metadata_changed", (self, old.metadata, new.metadata)))
        changed = {
            key: new.attributes.get(key, "")
            for key in set(old.attributes) | set(new.attributes)
            if old.attributes.get(key) != new.attributes.get(key)
        }
        if changed:
            events.append(("participant_attributes_changed", (changed, self)))
        if old.permission != new.permission:
            events.append(
                ("participant_permissions_changed", (self, old.permission, new.permission))
            )
        return events


class RemoteParticipant(Participant):
    """Someone else in the room."""

    def __init__(self, info: proto_models.ParticipantInfo, control: SubscriptionControl) -> None:
        super().__init__(info)
        self._control = control
        self.track_publications: dict[str, RemoteTrackPublication] = {}
        self.connection_quality = ConnectionQuality.QUALITY_EXCELLENT
        self.audio_level = 0.0
        self.is_speaking = False

    def __repr__(self) -> str:
        return f"RemoteParticipant(identity={self.identity!r}, sid={self.sid!r})"

    def _apply(self, info: proto_models.ParticipantInfo, *, initial: bool = False) -> list[Event]:
        """Adopt a newer snapshot; return events in the order the official SDK emits them."""
        if not initial and info.version and info.version < self._info.version:
            return []
        old, self._info = self._info, info
        events = [] if initial else self._diff_fields(old)
        seen: set[str] = set()
        for track_info in info.tracks:
            seen.add(track_info.sid)
            publication = self.track_publications.get(track_info.sid)
            if publication is None:
                publication = RemoteTrackPublication(track_info, self._control)
                self.track_publications[track_info.sid] = publication
                events.append(("track_published", (publication, self)))
                continue
            was_muted = publication.muted
            publication._update_info(track_info)
            if publication.track is not None:
                publication.track.muted = track_info.muted
            if was_muted != track_info.muted:
                name = "track_muted" if track_info.muted else "track_unmuted"
                events.append((name, (self, publication)))
        for sid in list(self.track_publications):
            if sid not in seen:
                events.append(("track_unpublished", (self.track_publications.pop(sid), self)))
        return events


class LocalParticipant(Participant):
    """The lkdesk user. Changing fields needs the canUpdateOwnMetadata grant."""

    def __init__(self, info: proto_models.ParticipantInfo, updater: LocalUpdater) -> None:
        super().__init__(info)
        self._updater = updater
        self._media: LocalMedia | None = None

    @property
    def track_publications(self) -> dict[str, LocalTrackPublication]:
        return dict(self._media.publications) if self._media is not None else {}

    def _require_media(self) -> LocalMedia:
        if self._media is None:
            raise RoomError("Not connected to a room.")
        return self._media

    async def publish_track(
        self, track: LocalTrack, options: TrackPublishOptions | None = None
    ) -> LocalTrackPublication:
        """Publish a local track; raises ``PublishError`` (or its permission subclass)."""
        return await self._require_media().publish(track, options or TrackPublishOptions())

    async def unpublish_track(self, track_sid: str) -> None:
        """Stop publishing a track; peers see it unpublished."""
        await self._require_media().unpublish(track_sid)

    async def set_name(self, name: str) -> None:
        """Change our display name; raises ``RoomError`` if the server refuses."""
        await self._updater(name=name)

    async def set_metadata(self, metadata: str) -> None:
        """Replace our metadata; raises ``RoomError`` if the server refuses."""
        await self._updater(metadata=metadata)

    async def set_attributes(self, attributes: dict[str, str]) -> None:
        """Set (or with ``""`` delete) attributes; raises ``RoomError`` if refused."""
        await self._updater(attributes=attributes)

    def __repr__(self) -> str:
        return f"LocalParticipant(identity={self.identity!r}, sid={self.sid!r})"

    def _apply(self, info: proto_models.ParticipantInfo) -> list[Event]:
        if info.version and info.version < self._info.version:
            return []
        old, self._info = self._info, info
        self.sid = info.sid
        return self._diff_fields(old)

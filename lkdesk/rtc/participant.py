"""Participants. Applying a ``ParticipantInfo`` returns the events the change implies."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Protocol

from livekit.protocol import models as proto_models

from lkdesk.rtc.local_track import LocalTrack, LocalTrackPublication, TrackPublishOptions
from lkdesk.rtc.permissions import ParticipantTrackPermission, SubscriptionPermissions
from lkdesk.rtc.publication import RemoteTrackPublication, SubscriptionControl
from lkdesk.rtc.types import ConnectionQuality, ParticipantKind

if TYPE_CHECKING:
    from lkdesk.rtc.data import RoomData
    from lkdesk.rtc.data_streams import (
        ByteStreamInfo,
        ByteStreamWriter,
        TextStreamInfo,
        TextStreamWriter,
    )
    from lkdesk.rtc.publishing import TrackPublisher
    from lkdesk.rtc.rpc import RpcHandler

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
    def kind(self) -> ParticipantKind:
        """Standard, agent, SIP (a phone call), ingress, egress, connector or bridge."""
        return ParticipantKind.from_proto(self._info.kind)

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

    def apply_info(
        self, info: proto_models.ParticipantInfo, *, initial: bool = False
    ) -> list[Event]:
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
            publication.update_info(track_info)
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

    def __init__(
        self,
        info: proto_models.ParticipantInfo,
        *,
        publisher: TrackPublisher,
        data: RoomData,
        updater: LocalUpdater,
        permissions: SubscriptionPermissions,
    ) -> None:
        super().__init__(info)
        self._publisher = publisher
        self._data = data
        self._updater = updater
        self._permissions = permissions

    @property
    def track_publications(self) -> dict[str, LocalTrackPublication]:
        return dict(self._publisher.publications)

    async def publish_track(
        self, track: LocalTrack, options: TrackPublishOptions | None = None
    ) -> LocalTrackPublication:
        """Publish a local track; raises ``PublishError`` (or its permission subclass)."""
        return await self._publisher.publish(track, options or TrackPublishOptions())

    async def unpublish_track(self, track_sid: str) -> None:
        """Stop publishing a track; peers see it unpublished."""
        await self._publisher.unpublish(track_sid)

    async def publish_data(
        self,
        payload: bytes | str,
        *,
        reliable: bool = True,
        destination_identities: list[str] | None = None,
        topic: str = "",
    ) -> None:
        """Send a data packet to everyone, or only to ``destination_identities``."""
        await self._data.publish_data(
            payload, reliable=reliable, destination_identities=destination_identities, topic=topic
        )

    async def send_text(self, text: str, **options: Any) -> TextStreamInfo:
        """Send ``text`` as one text stream (any size); options as :meth:`stream_text`."""
        return await self._data.send_text(text, **options)

    async def stream_text(self, **options: Any) -> TextStreamWriter:
        """Open an incremental text stream (``topic``, ``destination_identities``, ...)."""
        return await self._data.stream_text(**options)

    async def send_file(self, file_path: str | os.PathLike[str], **options: Any) -> ByteStreamInfo:
        """Send a file as a byte stream; ``on_progress(sent, total)`` reports progress."""
        return await self._data.send_file(file_path, **options)

    async def stream_bytes(self, name: str, **options: Any) -> ByteStreamWriter:
        """Open an incremental byte stream."""
        return await self._data.stream_bytes(name, **options)

    async def perform_rpc(
        self,
        *,
        destination_identity: str,
        method: str,
        payload: str,
        response_timeout: float | None = None,
    ) -> str:
        """Call ``method`` on another participant; raises ``RpcError`` on failure."""
        return await self._data.perform_rpc(
            destination_identity=destination_identity,
            method=method,
            payload=payload,
            response_timeout=response_timeout,
        )

    def register_rpc_method(self, method: str, handler: RpcHandler | None = None) -> Any:
        """Serve ``method``; usable as a decorator like the official SDK."""
        if handler is None:

            def decorator(func: RpcHandler) -> RpcHandler:
                self._data.register_rpc_method(method, func)
                return func

            return decorator
        self._data.register_rpc_method(method, handler)
        return handler

    def set_track_subscription_permissions(
        self,
        *,
        allow_all_participants: bool,
        participant_permissions: list[ParticipantTrackPermission] | None = None,
    ) -> None:
        """Choose who may subscribe to our tracks (kept across reconnects).

        With ``allow_all_participants`` everyone may (the default of every session);
        otherwise only what ``participant_permissions`` grants. Those refused are told by
        the server and see ``track_subscription_permission_changed``.
        """
        self._permissions.set(allow_all_participants, participant_permissions or [])

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

    def apply_info(self, info: proto_models.ParticipantInfo) -> list[Event]:
        """Adopt a newer snapshot of ourselves; the events the change implies."""
        if info.version and info.version < self._info.version:
            return []
        old, self._info = self._info, info
        self.sid = info.sid
        return self._diff_fields(old)

    def rejoined(self, info: proto_models.ParticipantInfo) -> list[Event]:
        """A new session after a reconnect: new sid and version numbering."""
        old, self._info = self._info, info
        self.sid = info.sid
        return self._diff_fields(old)

"""Frozen snapshots of rooms, participants and tracks as RoomService reports them.

Conversions from the ``livekit.protocol`` messages live here so callers never handle
protobuf. Secret-ish fields the server sends (e.g. a room's TURN password) are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

from livekit.protocol import models as pm

_SOURCES: dict[str, pm.TrackSource] = {
    "camera": pm.TrackSource.CAMERA,
    "microphone": pm.TrackSource.MICROPHONE,
    "screen_share": pm.TrackSource.SCREEN_SHARE,
    "screen_share_audio": pm.TrackSource.SCREEN_SHARE_AUDIO,
}
TRACK_SOURCES = tuple(_SOURCES)


@dataclass(frozen=True)
class RoomSummary:
    """A room as the server sees it."""

    sid: str
    name: str
    metadata: str
    num_participants: int
    num_publishers: int
    empty_timeout: int
    max_participants: int
    created_at: datetime | None
    active_recording: bool


@dataclass(frozen=True)
class TrackSummary:
    """A published track: ``kind`` is audio/video/data, ``source`` e.g. "microphone"."""

    sid: str
    name: str
    kind: str
    source: str
    muted: bool
    mime_type: str


@dataclass(frozen=True)
class ParticipantPermissions:
    """What a participant may do; an empty ``can_publish_sources`` allows every source."""

    can_subscribe: bool = True
    can_publish: bool = True
    can_publish_data: bool = True
    can_publish_sources: tuple[str, ...] = ()
    hidden: bool = False
    can_update_metadata: bool = False


@dataclass(frozen=True)
class ParticipantSummary:
    """A participant in a room (``state``: joining, joined, active or disconnected)."""

    sid: str
    identity: str
    name: str
    state: str
    kind: str
    metadata: str
    attributes: Mapping[str, str] = field(hash=False)
    tracks: tuple[TrackSummary, ...]
    permission: ParticipantPermissions
    joined_at: datetime | None


def room_summary(room: pm.Room) -> RoomSummary:
    """Snapshot of a ``livekit.Room`` message."""
    return RoomSummary(
        sid=room.sid,
        name=room.name,
        metadata=room.metadata,
        num_participants=room.num_participants,
        num_publishers=room.num_publishers,
        empty_timeout=room.empty_timeout,
        max_participants=room.max_participants,
        created_at=_time(room.creation_time),
        active_recording=room.active_recording,
    )


def track_summary(track: pm.TrackInfo) -> TrackSummary:
    """Snapshot of a ``livekit.TrackInfo`` message."""
    return TrackSummary(
        sid=track.sid,
        name=track.name,
        kind=pm.TrackType.Name(track.type).lower(),
        source=pm.TrackSource.Name(track.source).lower(),
        muted=track.muted,
        mime_type=track.mime_type,
    )


def permissions(perm: pm.ParticipantPermission) -> ParticipantPermissions:
    """Snapshot of a ``livekit.ParticipantPermission`` message."""
    return ParticipantPermissions(
        can_subscribe=perm.can_subscribe,
        can_publish=perm.can_publish,
        can_publish_data=perm.can_publish_data,
        can_publish_sources=tuple(pm.TrackSource.Name(s).lower() for s in perm.can_publish_sources),
        hidden=perm.hidden,
        can_update_metadata=perm.can_update_metadata,
    )


def permission_message(
    perm: ParticipantPermissions, base: pm.ParticipantPermission | None = None
) -> pm.ParticipantPermission:
    """A ``ParticipantPermission`` message carrying ``perm`` (other fields from ``base``)."""
    unknown = set(perm.can_publish_sources) - set(TRACK_SOURCES)
    if unknown:
        raise ValueError(f"unknown track source(s) {sorted(unknown)}")
    msg = pm.ParticipantPermission()
    if base is not None:
        msg.CopyFrom(base)
    msg.can_subscribe = perm.can_subscribe
    msg.can_publish = perm.can_publish
    msg.can_publish_data = perm.can_publish_data
    msg.hidden = perm.hidden
    msg.can_update_metadata = perm.can_update_metadata
    del msg.can_publish_sources[:]
    msg.can_publish_sources.extend(_SOURCES[s] for s in perm.can_publish_sources)
    return msg


def participant_summary(info: pm.ParticipantInfo) -> ParticipantSummary:
    """Snapshot of a ``livekit.ParticipantInfo`` message."""
    return ParticipantSummary(
        sid=info.sid,
        identity=info.identity,
        name=info.name,
        state=pm.ParticipantInfo.State.Name(info.state).lower(),
        kind=_kind_name(info.kind),
        metadata=info.metadata,
        attributes=MappingProxyType(dict(info.attributes)),
        tracks=tuple(track_summary(t) for t in info.tracks),
        permission=permissions(info.permission),
        joined_at=_time(info.joined_at),
    )


def _kind_name(kind: int) -> str:
    try:
        return pm.ParticipantInfo.Kind.Name(kind).lower()
    except ValueError:
        return "unknown"


def _time(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds else None

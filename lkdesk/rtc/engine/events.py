"""What the engine tells the room: typed events, one dataclass per kind.

The engine knows connections, not participants: these carry the server's protobuf snapshots
and the room model applies them (lkdesk/rtc/room.py). Decoded frames and data packets are
not events: they go to the callbacks given to the engine, once per frame or packet.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto

from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc


class LinkState(Enum):
    """The engine's connection to the room."""

    CONNECTING = auto()
    CONNECTED = auto()
    RECONNECTING = auto()
    DISCONNECTED = auto()


@dataclass(frozen=True, slots=True)
class Joined:
    """A session began: the first join, or a full rejoin (new participant sid)."""

    join: proto_rtc.JoinResponse
    rejoin: bool


@dataclass(frozen=True, slots=True)
class SessionLost:
    """The session is gone for good (a full rejoin follows): media and streams of it end."""


@dataclass(frozen=True, slots=True)
class Resumed:
    """The same session continues after a resume: re-send per-track settings."""


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The link changed state; ``reason`` is a ``DisconnectReason`` when it ended."""

    state: LinkState
    reason: int = 0


@dataclass(frozen=True, slots=True)
class ParticipantsUpdated:
    participants: tuple[proto_models.ParticipantInfo, ...]


@dataclass(frozen=True, slots=True)
class SpeakersChanged:
    speakers: tuple[proto_models.SpeakerInfo, ...]


@dataclass(frozen=True, slots=True)
class RoomUpdated:
    room: proto_models.Room


@dataclass(frozen=True, slots=True)
class QualityUpdated:
    updates: tuple[proto_rtc.ConnectionQualityInfo, ...]


@dataclass(frozen=True, slots=True)
class TrackBound:
    """Subscriber media line ``mid`` stopped carrying ``old_sid`` and/or now carries ``new_sid``."""

    mid: str
    old_sid: str | None
    new_sid: str | None


@dataclass(frozen=True, slots=True)
class LocalMuteRequested:
    """The server (an administrator) muted or unmuted one of our tracks."""

    track_sid: str
    muted: bool


@dataclass(frozen=True, slots=True)
class LocalUnpublishRequested:
    """The server removed one of our tracks (e.g. canPublish was revoked)."""

    track_sid: str


@dataclass(frozen=True, slots=True)
class SubscriptionFailed:
    track_sid: str
    error: str


@dataclass(frozen=True, slots=True)
class SubscriptionPermissionChanged:
    """The publisher ``participant_sid`` allowed or refused us its track ``track_sid``."""

    participant_sid: str
    track_sid: str
    allowed: bool


@dataclass(frozen=True, slots=True)
class TokenRefreshed:
    token: str


@dataclass(frozen=True, slots=True)
class RoomMoved:
    """RoomService moved us to another room: its identity, our new info, the people there.

    The connections stay; only what the room is and who is in it changes (protocol 16).
    """

    room: proto_models.Room
    participant: proto_models.ParticipantInfo | None
    others: tuple[proto_models.ParticipantInfo, ...]


EngineEvent = (
    Joined
    | SessionLost
    | Resumed
    | StateChanged
    | ParticipantsUpdated
    | SpeakersChanged
    | RoomUpdated
    | QualityUpdated
    | TrackBound
    | LocalMuteRequested
    | LocalUnpublishRequested
    | SubscriptionFailed
    | SubscriptionPermissionChanged
    | TokenRefreshed
    | RoomMoved
)

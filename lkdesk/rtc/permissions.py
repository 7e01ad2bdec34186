"""Track subscription permissions: who may subscribe to our tracks, and whether we may theirs.

A publisher tells the server who may subscribe (``SubscriptionPermission``); the server
then refuses other subscribers and tells each refused one so with a
``SubscriptionPermissionUpdate`` (allowed false, later true when granted). lkdesk keeps the
last setting and sends it again after a full rejoin, as livekit-client does, because a new
session starts with everyone allowed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from livekit.protocol import rtc as proto_rtc

logger = logging.getLogger(__name__)

PermissionStatus = Literal["allowed", "not_allowed"]


@dataclass(frozen=True, slots=True)
class ParticipantTrackPermission:
    """What one participant may subscribe to (field names as in the official SDK).

    ``allow_all`` takes precedence over ``allowed_track_sids``; a participant not named at
    all may subscribe to nothing unless ``allow_all_participants`` was set.
    """

    participant_identity: str
    allow_all: bool = False
    allowed_track_sids: tuple[str, ...] = ()

    def to_proto(self) -> proto_rtc.TrackPermission:
        return proto_rtc.TrackPermission(
            participant_identity=self.participant_identity,
            all_tracks=self.allow_all,
            track_sids=list(self.allowed_track_sids),
        )


class SubscriptionPermissions:
    """Our publisher-side setting, sent now and again after every full rejoin."""

    def __init__(self, send: Callable[[proto_rtc.SignalRequest], None]) -> None:
        self._send = send
        self._request: proto_rtc.SignalRequest | None = None

    def set(
        self, allow_all_participants: bool, permissions: Iterable[ParticipantTrackPermission]
    ) -> None:
        """Replace the whole setting (participants not named lose access)."""
        listed = list(permissions)
        for permission in listed:
            if not permission.participant_identity:
                raise ValueError("a track permission must name a participant identity")
        self._request = proto_rtc.SignalRequest(
            subscription_permission=proto_rtc.SubscriptionPermission(
                all_participants=allow_all_participants,
                track_permissions=[p.to_proto() for p in listed],
            )
        )
        self._send(self._request)

    def resend(self) -> None:
        """A new session starts with everyone allowed: restore what we had set."""
        if self._request is not None:
            self._send(self._request)


def status(allowed: bool) -> PermissionStatus:
    return "allowed" if allowed else "not_allowed"

"""Enums with the official Python SDK's member names, mapped from LiveKit's protobufs."""

from __future__ import annotations

from enum import IntEnum

from livekit.protocol import models as proto_models

from lkdesk.rtc.engine.reasons import describe_disconnect


class TrackKind(IntEnum):
    """Audio or video (names as in ``livekit.rtc.TrackKind``)."""

    KIND_UNKNOWN = 0
    KIND_AUDIO = 1
    KIND_VIDEO = 2

    @classmethod
    def from_proto(cls, value: int) -> TrackKind:
        if value == proto_models.TrackType.AUDIO:
            return cls.KIND_AUDIO
        if value == proto_models.TrackType.VIDEO:
            return cls.KIND_VIDEO
        return cls.KIND_UNKNOWN


class TrackSource(IntEnum):
    """Where a track comes from (values equal LiveKit's ``TrackSource`` protobuf)."""

    SOURCE_UNKNOWN = 0
    SOURCE_CAMERA = 1
    SOURCE_MICROPHONE = 2
    SOURCE_SCREENSHARE = 3
    SOURCE_SCREENSHARE_AUDIO = 4


class ConnectionState(IntEnum):
    """Room connection state; CONNECTING is lkdesk's addition for the UI."""

    CONN_DISCONNECTED = 0
    CONN_CONNECTED = 1
    CONN_RECONNECTING = 2
    CONN_CONNECTING = 3


class ConnectionQuality(IntEnum):
    """Per-participant quality as reported by the server."""

    QUALITY_POOR = 0
    QUALITY_GOOD = 1
    QUALITY_EXCELLENT = 2
    QUALITY_LOST = 3


class ParticipantKind(IntEnum):
    """What a participant is: names and values of the official SDK's ``rtc.ParticipantKind``
    (which differ from the wire's ``ParticipantInfo.Kind`` for connectors and bridges)."""

    PARTICIPANT_KIND_STANDARD = 0
    PARTICIPANT_KIND_INGRESS = 1
    PARTICIPANT_KIND_EGRESS = 2
    PARTICIPANT_KIND_SIP = 3
    PARTICIPANT_KIND_AGENT = 4
    PARTICIPANT_KIND_CONNECTOR = 5
    PARTICIPANT_KIND_BRIDGE = 6

    @classmethod
    def from_proto(cls, kind: int) -> ParticipantKind:
        """The kind for a wire ``ParticipantInfo.Kind`` (unknown ones count as standard)."""
        return _KIND_FROM_WIRE.get(kind, cls.PARTICIPANT_KIND_STANDARD)


_WIRE = proto_models.ParticipantInfo.Kind
_KIND_FROM_WIRE = {
    _WIRE.Value("STANDARD"): ParticipantKind.PARTICIPANT_KIND_STANDARD,
    _WIRE.Value("INGRESS"): ParticipantKind.PARTICIPANT_KIND_INGRESS,
    _WIRE.Value("EGRESS"): ParticipantKind.PARTICIPANT_KIND_EGRESS,
    _WIRE.Value("SIP"): ParticipantKind.PARTICIPANT_KIND_SIP,
    _WIRE.Value("AGENT"): ParticipantKind.PARTICIPANT_KIND_AGENT,
    _WIRE.Value("CONNECTOR"): ParticipantKind.PARTICIPANT_KIND_CONNECTOR,
    _WIRE.Value("BRIDGE"): ParticipantKind.PARTICIPANT_KIND_BRIDGE,
}

DisconnectReason = proto_models.DisconnectReason


__all__ = [
    "ConnectionQuality",
    "ConnectionState",
    "DisconnectReason",
    "ParticipantKind",
    "TrackKind",
    "TrackSource",
    "describe_disconnect",
]

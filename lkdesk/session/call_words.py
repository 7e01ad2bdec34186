"""What a real call's events mean for the UI: participant snapshots, why a call ended."""

from __future__ import annotations

from lkdesk import rtc
from lkdesk.session.model import ParticipantKind, ParticipantState, Quality

#: The attribute LiveKit agents keep their state in (livekit-agents ``ATTRIBUTE_AGENT_STATE``).
AGENT_STATE_ATTRIBUTE = "lk.agent.state"
_K = rtc.ParticipantKind
_KINDS = {
    _K.PARTICIPANT_KIND_AGENT: ParticipantKind.AGENT,
    _K.PARTICIPANT_KIND_SIP: ParticipantKind.PHONE,
    _K.PARTICIPANT_KIND_INGRESS: ParticipantKind.INGRESS,
    _K.PARTICIPANT_KIND_EGRESS: ParticipantKind.EGRESS,
    _K.PARTICIPANT_KIND_CONNECTOR: ParticipantKind.CONNECTOR,
    _K.PARTICIPANT_KIND_BRIDGE: ParticipantKind.BRIDGE,
}
_SOURCE_WORDS = {
    rtc.TrackSource.SOURCE_CAMERA: "camera",
    rtc.TrackSource.SOURCE_MICROPHONE: "microphone",
    rtc.TrackSource.SOURCE_SCREENSHARE: "screen share",
    rtc.TrackSource.SOURCE_SCREENSHARE_AUDIO: "screen share audio",
}

_QUALITY = {
    rtc.ConnectionQuality.QUALITY_EXCELLENT: Quality.EXCELLENT,
    rtc.ConnectionQuality.QUALITY_GOOD: Quality.GOOD,
    rtc.ConnectionQuality.QUALITY_POOR: Quality.POOR,
    rtc.ConnectionQuality.QUALITY_LOST: Quality.LOST,
}
_ADVICE = {
    "PARTICIPANT_REMOVED": "Rejoin if you were removed by mistake, or ask the host.",
    "ROOM_DELETED": "Ask the host whether the meeting moved to another room.",
    "DUPLICATE_IDENTITY": "Close the other window or device that uses the same identity.",
    "SIGNAL_CLOSE": "Check your network connection, then rejoin.",
    "MEDIA_FAILURE": "Check your network (a firewall may block UDP), then rejoin.",
    "CONNECTION_TIMEOUT": "Check your network connection, then rejoin.",
    "SERVER_SHUTDOWN": "Wait a moment, then rejoin.",
}


def describe_end(reason: int) -> str:
    """Plain words for why a call ended, with what to do next."""
    text = rtc.describe_disconnect(reason)
    try:
        name = rtc.DisconnectReason.Name(reason)
    except ValueError:
        name = ""
    return f"{text} {_ADVICE.get(name, '')}".strip()


def snapshot(participant: rtc.RemoteParticipant) -> ParticipantState:
    """A frozen snapshot of ``participant`` for the UI."""
    publications = participant.track_publications.values()
    live = {pub.source for pub in publications if not pub.muted}
    refused = sorted(
        {_SOURCE_WORDS.get(p.source, "a track") for p in publications if not p.subscription_allowed}
    )
    kind = _KINDS.get(participant.kind, ParticipantKind.PERSON)
    agent_state = (
        participant.attributes.get(AGENT_STATE_ATTRIBUTE, "")
        if kind is ParticipantKind.AGENT
        else ""
    )
    return ParticipantState(
        identity=participant.identity,
        name=participant.name,
        mic_on=rtc.TrackSource.SOURCE_MICROPHONE in live,
        camera_on=rtc.TrackSource.SOURCE_CAMERA in live,
        screen_on=rtc.TrackSource.SOURCE_SCREENSHARE in live,
        speaking=participant.is_speaking,
        audio_level=participant.audio_level,
        quality=_QUALITY.get(participant.connection_quality, Quality.GOOD),
        can_publish=participant.permissions.can_publish,
        kind=kind,
        agent_state=agent_state,
        not_permitted=tuple(refused),
    )

"""What the UI knows of a remote participant, taken from lkdesk.rtc's model."""

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

"""What the UI knows of a remote participant, taken from lkdesk.rtc's model."""

from __future__ import annotations

from lkdesk import rtc
from lkdesk.session.model import ParticipantState, Quality

_QUALITY = {
    rtc.ConnectionQuality.QUALITY_EXCELLENT: Quality.EXCELLENT,
    rtc.ConnectionQuality.QUALITY_GOOD: Quality.GOOD,
    rtc.ConnectionQuality.QUALITY_POOR: Quality.POOR,
    rtc.ConnectionQuality.QUALITY_LOST: Quality.LOST,
}


def snapshot(participant: rtc.RemoteParticipant) -> ParticipantState:
    """A frozen snapshot of ``participant`` for the UI."""
    live = {pub.source for pub in participant.track_publications.values() if not pub.muted}
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
    )

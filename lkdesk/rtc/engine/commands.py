"""Signalling requests the engine's command API sends (pure builders, no I/O)."""

from __future__ import annotations

from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc


def subscription(track_sid: str, participant_sid: str, subscribe: bool) -> proto_rtc.SignalRequest:
    """Start or stop receiving one track (the server (un)subscribes exactly the sids named)."""
    return proto_rtc.SignalRequest(
        subscription=proto_rtc.UpdateSubscription(
            track_sids=[track_sid],
            subscribe=subscribe,
            participant_tracks=[
                proto_models.ParticipantTracks(
                    participant_sid=participant_sid, track_sids=[track_sid]
                )
            ],
        )
    )


def track_settings(
    track_sid: str, enabled: bool, width: int, height: int
) -> proto_rtc.SignalRequest:
    """Pause or resume a subscribed track, and the size it is shown at (0: no preference)."""
    return proto_rtc.SignalRequest(
        track_setting=proto_rtc.UpdateTrackSettings(
            track_sids=[track_sid], disabled=not enabled, width=width, height=height
        )
    )


def metadata(
    name: str, metadata: str, attributes: dict[str, str], request_id: int
) -> proto_rtc.SignalRequest:
    """Change our own name, metadata or attributes (answered by a RequestResponse)."""
    return proto_rtc.SignalRequest(
        update_metadata=proto_rtc.UpdateParticipantMetadata(
            name=name, metadata=metadata, attributes=attributes, request_id=request_id
        )
    )

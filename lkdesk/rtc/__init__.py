"""lkdesk's LiveKit client on aiortc. Public names mirror the official ``livekit.rtc``."""

from lkdesk.rtc.frames import AudioFrame, AudioFrameEvent, VideoFormat, VideoFrame, VideoFrameEvent
from lkdesk.rtc.participant import LocalParticipant, Participant, RemoteParticipant
from lkdesk.rtc.publication import RemoteTrackPublication, TrackPublication
from lkdesk.rtc.room import Room, RoomOptions
from lkdesk.rtc.streams import AudioStream, VideoStream
from lkdesk.rtc.track import RemoteAudioTrack, RemoteTrack, RemoteVideoTrack
from lkdesk.rtc.types import (
    ConnectionQuality,
    ConnectionState,
    DisconnectReason,
    TrackKind,
    TrackSource,
    describe_disconnect,
)

__all__ = [
    "AudioFrame",
    "AudioFrameEvent",
    "AudioStream",
    "ConnectionQuality",
    "ConnectionState",
    "DisconnectReason",
    "LocalParticipant",
    "Participant",
    "RemoteAudioTrack",
    "RemoteParticipant",
    "RemoteTrack",
    "RemoteTrackPublication",
    "RemoteVideoTrack",
    "Room",
    "RoomOptions",
    "TrackKind",
    "TrackPublication",
    "TrackSource",
    "VideoFormat",
    "VideoFrame",
    "VideoFrameEvent",
    "VideoStream",
    "describe_disconnect",
]

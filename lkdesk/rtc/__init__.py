"""lkdesk's LiveKit client on aiortc. Public names mirror the official ``livekit.rtc``."""

from lkdesk.core.frames import AudioFrame, AudioFrameEvent, VideoFormat, VideoFrame, VideoFrameEvent
from lkdesk.core.tls import ServerTrust
from lkdesk.rtc.chat import Chat, ChatMessage, DeliveryState, ReceivedFile, save_file
from lkdesk.rtc.data import DataPacket, SipDTMF
from lkdesk.rtc.data_streams import (
    ByteStreamInfo,
    ByteStreamWriter,
    TextStreamInfo,
    TextStreamWriter,
)
from lkdesk.rtc.local_track import (
    LocalAudioTrack,
    LocalTrack,
    LocalTrackPublication,
    LocalVideoTrack,
    TrackPublishOptions,
    VideoEncoding,
)
from lkdesk.rtc.participant import LocalParticipant, Participant, RemoteParticipant
from lkdesk.rtc.permissions import ParticipantTrackPermission
from lkdesk.rtc.publication import RemoteTrackPublication, TrackPublication
from lkdesk.rtc.room import Room, RoomOptions
from lkdesk.rtc.rpc import RpcError, RpcInvocationData
from lkdesk.rtc.sources import AudioSource, VideoSource
from lkdesk.rtc.stats import RtcStats, RtcStatsEntry
from lkdesk.rtc.stream_receive import ByteStreamReader, StreamError, TextStreamReader
from lkdesk.rtc.streams import AudioStream, VideoStream
from lkdesk.rtc.track import RemoteAudioTrack, RemoteTrack, RemoteVideoTrack
from lkdesk.rtc.transcription import Transcription, TranscriptionSegment
from lkdesk.rtc.types import (
    ConnectionQuality,
    ConnectionState,
    DisconnectReason,
    ParticipantKind,
    TrackKind,
    TrackSource,
    describe_disconnect,
)

__all__ = [
    "AudioFrame",
    "AudioFrameEvent",
    "AudioSource",
    "AudioStream",
    "ByteStreamInfo",
    "ByteStreamReader",
    "ByteStreamWriter",
    "Chat",
    "ChatMessage",
    "ConnectionQuality",
    "ConnectionState",
    "DataPacket",
    "DeliveryState",
    "DisconnectReason",
    "LocalAudioTrack",
    "LocalParticipant",
    "LocalTrack",
    "LocalTrackPublication",
    "LocalVideoTrack",
    "Participant",
    "ParticipantKind",
    "ParticipantTrackPermission",
    "ReceivedFile",
    "RemoteAudioTrack",
    "RemoteParticipant",
    "RemoteTrack",
    "RemoteTrackPublication",
    "RemoteVideoTrack",
    "Room",
    "RoomOptions",
    "RpcError",
    "RpcInvocationData",
    "RtcStats",
    "RtcStatsEntry",
    "ServerTrust",
    "SipDTMF",
    "StreamError",
    "TextStreamInfo",
    "TextStreamReader",
    "TextStreamWriter",
    "TrackKind",
    "TrackPublication",
    "TrackPublishOptions",
    "TrackSource",
    "Transcription",
    "TranscriptionSegment",
    "VideoEncoding",
    "VideoFormat",
    "VideoFrame",
    "VideoFrameEvent",
    "VideoSource",
    "VideoStream",
    "describe_disconnect",
    "save_file",
]

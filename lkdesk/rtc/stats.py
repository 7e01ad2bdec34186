"""``Room.get_rtc_stats()``'s result, in the official SDK's shape.

The official SDK returns ``RtcStats(publisher_stats, subscriber_stats)``, lists of its
``proto_stats.RtcStats`` messages: a ``stats`` one-of (``inbound_rtp``, ``outbound_rtp``,
``codec`` …) whose members nest the W3C dictionaries (``rtc``, ``stream``, ``received`` /
``sent``, ``inbound`` / ``outbound`` …). These frozen dataclasses have the same names and
nesting, holding what aiortc exposes and what lkdesk measures itself; fields aiortc has no
figure for are left out rather than filled with zeros. Times are in seconds, timestamps
in milliseconds since the epoch, jitter in seconds.

lkdesk's own figures: ``total_conversion_time`` (pixel-format conversion of sent and
received video frames) and :attr:`RtcStats.signal_round_trip_time`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True, slots=True)
class RtcStatsData:
    id: str
    timestamp: int  # ms since the epoch


@dataclass(frozen=True, slots=True)
class RtpStreamStats:
    ssrc: int
    kind: str  # "audio" or "video"
    transport_id: str
    codec_id: str


@dataclass(frozen=True, slots=True)
class ReceivedRtpStreamStats:
    packets_received: int
    packets_lost: int
    jitter: float  # seconds


@dataclass(frozen=True, slots=True)
class SentRtpStreamStats:
    packets_sent: int
    bytes_sent: int


@dataclass(frozen=True, slots=True)
class InboundRtpStreamStats:
    track_identifier: str  # the LiveKit track sid
    mid: str
    bytes_received: int  # payload bytes, retransmissions included
    retransmitted_packets_received: int
    retransmitted_bytes_received: int
    rtx_ssrc: int
    last_packet_received_timestamp: int  # ms since the epoch, 0 before the first packet
    frames_decoded: int = 0
    frame_width: int = 0
    frame_height: int = 0
    frames_per_second: float = 0.0
    total_decode_time: float = 0.0
    total_conversion_time: float = 0.0  # lkdesk: decoded frame to RGB (VideoStream)
    decoder_implementation: str = "aiortc/PyAV"


@dataclass(frozen=True, slots=True)
class OutboundRtpStreamStats:
    mid: str
    media_source_id: str
    remote_id: str
    frames_sent: int = 0
    frames_encoded: int = 0
    frame_width: int = 0
    frame_height: int = 0
    frames_per_second: float = 0.0
    total_encode_time: float = 0.0
    total_conversion_time: float = 0.0  # lkdesk: RGB/I420 array to encoder frame
    encoder_implementation: str = "aiortc/PyAV"
    active: bool = True


@dataclass(frozen=True, slots=True)
class RemoteInboundRtpStreamStats:
    """What the server's receiver reports (RTCP RR) about what we send."""

    local_id: str
    round_trip_time: float | None  # seconds, None until measured
    fraction_lost: float  # 0..1 in the last report interval


@dataclass(frozen=True, slots=True)
class RemoteOutboundRtpStreamStats:
    """What the server's sender reports (RTCP SR) about what it sends us."""

    local_id: str
    remote_timestamp: int  # ms since the epoch


@dataclass(frozen=True, slots=True)
class CodecStats:
    payload_type: int
    transport_id: str
    mime_type: str
    clock_rate: int
    channels: int = 0
    sdp_fmtp_line: str = ""


@dataclass(frozen=True, slots=True)
class TransportStats:
    packets_sent: int
    packets_received: int
    bytes_sent: int
    bytes_received: int
    ice_role: str
    dtls_state: str


@dataclass(frozen=True, slots=True)
class MediaSourceStats:
    track_identifier: str
    kind: str


@dataclass(frozen=True, slots=True)
class VideoSourceStats:
    width: int
    height: int
    frames: int
    frames_per_second: float


# ----- one-of members, as in the SDK's RtcStats message ---------------------------------------


@dataclass(frozen=True, slots=True)
class Codec:
    rtc: RtcStatsData
    codec: CodecStats


@dataclass(frozen=True, slots=True)
class InboundRtp:
    rtc: RtcStatsData
    stream: RtpStreamStats
    received: ReceivedRtpStreamStats
    inbound: InboundRtpStreamStats


@dataclass(frozen=True, slots=True)
class OutboundRtp:
    rtc: RtcStatsData
    stream: RtpStreamStats
    sent: SentRtpStreamStats
    outbound: OutboundRtpStreamStats


@dataclass(frozen=True, slots=True)
class RemoteInboundRtp:
    rtc: RtcStatsData
    stream: RtpStreamStats
    received: ReceivedRtpStreamStats
    remote_inbound: RemoteInboundRtpStreamStats


@dataclass(frozen=True, slots=True)
class RemoteOutboundRtp:
    rtc: RtcStatsData
    stream: RtpStreamStats
    sent: SentRtpStreamStats
    remote_outbound: RemoteOutboundRtpStreamStats


@dataclass(frozen=True, slots=True)
class Transport:
    rtc: RtcStatsData
    transport: TransportStats


@dataclass(frozen=True, slots=True)
class MediaSource:
    rtc: RtcStatsData
    source: MediaSourceStats
    video: VideoSourceStats | None = None


@dataclass(frozen=True, slots=True)
class RtcStatsEntry:
    """One statistics object; exactly one member is set (``WhichOneof("stats")``)."""

    codec: Codec | None = None
    inbound_rtp: InboundRtp | None = None
    outbound_rtp: OutboundRtp | None = None
    remote_inbound_rtp: RemoteInboundRtp | None = None
    remote_outbound_rtp: RemoteOutboundRtp | None = None
    media_source: MediaSource | None = None
    transport: Transport | None = None

    def WhichOneof(self, group: str) -> str | None:  # protobuf's name
        """The set member's name, as on the SDK's protobuf message."""
        if group != "stats":
            raise ValueError(f"RtcStats has no one-of {group!r}")
        return next((f.name for f in fields(self) if getattr(self, f.name) is not None), None)

    def HasField(self, name: str) -> bool:  # protobuf's name
        return getattr(self, name, None) is not None


@dataclass(frozen=True, slots=True)
class RtcStats:
    """Statistics of both peer connections, as the official SDK's ``Room.get_rtc_stats()``."""

    publisher_stats: list[RtcStatsEntry] = field(default_factory=list)
    subscriber_stats: list[RtcStatsEntry] = field(default_factory=list)
    signal_round_trip_time: float | None = None  # lkdesk: signalling ping/pong, seconds

    def of(self, member: str) -> list[object]:
        """Every member of one kind from both lists, e.g. ``of("inbound_rtp")``."""
        entries = self.publisher_stats + self.subscriber_stats
        return [getattr(e, member) for e in entries if getattr(e, member) is not None]

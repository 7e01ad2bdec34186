"""Collects :class:`~lkdesk.rtc.stats.RtcStats` from both peer connections of a room.

Public ``getStats()`` of aiortc's senders and receivers gives what it has (packets and
bytes sent, the server's RTCP receiver reports with round-trip time and loss, sender
reports, transport totals); the rest comes from ``engine/adapt/media_stats.py`` (bytes
received, frames, sizes, decode and encode time) and from lkdesk's own frame conversion.
Receivers are tapped at aiortc's ``track`` event, before they start, so byte counts cover
the whole track.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.rtcrtptransceiver import RTCRtpTransceiver

from lkdesk.rtc import stats as s
from lkdesk.rtc.engine import adapt
from lkdesk.rtc.engine.adapt import media_stats
from lkdesk.rtc.engine.engine import RtcEngine
from lkdesk.rtc.engine.media_tracks import SourceVideoTrack
from lkdesk.rtc.track import RemoteTrack

logger = logging.getLogger(__name__)

media_stats.check_compatible()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _data(prefix: str, key: str) -> s.RtcStatsData:
    return s.RtcStatsData(f"{prefix}_{key}", _now_ms())


def _fmtp(parameters: dict[str, Any]) -> str:
    return ";".join(f"{k}={v}" if v is not None else k for k, v in parameters.items())


class StatsCollector:
    """One room's statistics; ``track_of(sid)`` finds a subscribed :class:`RemoteTrack`."""

    def __init__(
        self,
        engine: RtcEngine,
        transceivers: Callable[[], dict[str, RTCRtpTransceiver]],
        track_of: Callable[[str], RemoteTrack | None],
    ) -> None:
        self._engine = engine
        self._transceivers = transceivers
        self._track_of = track_of
        self._taps: dict[Any, media_stats.ReceiveCounters] = {}
        self._frame_base: dict[str, tuple[str, int, float]] = {}  # mid -> sid, frames, time

    def session_started(self) -> None:
        """A (new) subscriber connection exists: tap its receivers as they appear."""
        self._taps.clear()
        self._frame_base.clear()
        subscriber = self._engine.subscriber
        if subscriber is not None:
            pc = subscriber.peer_connection
            pc.on("track", lambda track: self._tap(pc, track))

    def _tap(self, pc: RTCPeerConnection, track: Any) -> None:
        for transceiver in pc.getTransceivers():
            if transceiver.receiver.track is track and transceiver.receiver not in self._taps:
                self._taps[transceiver.receiver] = media_stats.watch_receiver(
                    transceiver.receiver, track
                )

    async def collect(self) -> s.RtcStats:
        publisher = self._engine.publisher_connection
        subscriber = self._engine.subscriber
        signal = self._engine.signal
        rtt = signal.rtt_ms / 1000 if signal is not None and signal.rtt_ms else None
        pub = await self._publisher_stats(publisher.peer_connection) if publisher else []
        sub = await self._subscriber_stats(subscriber) if subscriber is not None else []
        return s.RtcStats(pub, sub, rtt)

    # ----- subscriber ------------------------------------------------------------------

    async def _subscriber_stats(self, subscriber: Any) -> list[s.RtcStatsEntry]:
        pc: RTCPeerConnection = subscriber.peer_connection
        bindings: dict[str, str] = subscriber.bindings
        entries: list[s.RtcStatsEntry] = []
        codecs: dict[str, s.RtcStatsEntry] = {}
        transports: dict[str, s.RtcStatsEntry] = {}
        for transceiver in pc.getTransceivers():
            sid = bindings.get(transceiver.mid or "")
            if sid is None or transceiver.kind not in ("audio", "video"):
                continue
            receiver = transceiver.receiver
            if receiver not in self._taps:
                self._tap(pc, receiver.track)
            report = await receiver.getStats()
            transport_id = _transports(report, transports)
            inbound = self._inbound(transceiver, sid, transport_id, codecs)
            if inbound is None:
                continue
            entries.append(inbound)
            ssrc = inbound.inbound_rtp.stream.ssrc if inbound.inbound_rtp else -1
            for stat in report.values():
                if stat.type == "remote-outbound-rtp" and stat.ssrc == ssrc:
                    entries.append(_remote_outbound(stat, inbound))
        return entries + list(codecs.values()) + list(transports.values())

    def _inbound(
        self,
        transceiver: RTCRtpTransceiver,
        sid: str,
        transport_id: str,
        codecs: dict[str, s.RtcStatsEntry],
    ) -> s.RtcStatsEntry | None:
        receiver = transceiver.receiver
        counters = self._taps.get(receiver) or media_stats.ReceiveCounters()
        figures = media_stats.receiver_ssrc_figures(receiver)
        rtx_of = media_stats.receiver_rtx_ssrcs(receiver)
        routed = adapt.receiver_ssrcs(receiver)
        media = [x for x in figures if x not in rtx_of and (x in routed or not routed)]
        if not media:
            return None
        ssrc = max(media, key=lambda x: figures[x].packets_received)
        rtx = next((r for r, m in rtx_of.items() if m == ssrc), 0)
        main = figures[ssrc]
        retransmitted = figures.get(rtx)
        rtx_bytes = counters.bytes_by_ssrc.get(rtx, 0)
        mid = transceiver.mid or ""
        codec = media_stats.receiver_codec(receiver, counters.last_payload_type)
        codec_id = self._codec(codec, transport_id, codecs) if codec is not None else ""
        frames, decode_time = self._frames_since_bound(mid, sid, counters)
        track = self._track_of(sid)
        inbound = s.InboundRtpStreamStats(
            track_identifier=sid,
            mid=mid,
            bytes_received=counters.bytes_by_ssrc.get(ssrc, 0) + rtx_bytes,
            retransmitted_packets_received=retransmitted.packets_received if retransmitted else 0,
            retransmitted_bytes_received=rtx_bytes,
            rtx_ssrc=rtx,
            last_packet_received_timestamp=int(counters.last_packet_at * 1000),
            frames_decoded=frames,
            frame_width=counters.frame_width if frames else 0,
            frame_height=counters.frame_height if frames else 0,
            frames_per_second=counters.clock.fps(),
            total_decode_time=decode_time,
            total_conversion_time=track.total_conversion_time if track is not None else 0.0,
        )
        return s.RtcStatsEntry(
            inbound_rtp=s.InboundRtp(
                rtc=_data("IT", mid),
                stream=s.RtpStreamStats(ssrc, transceiver.kind, transport_id, codec_id),
                received=s.ReceivedRtpStreamStats(
                    main.packets_received, main.packets_lost, _jitter_s(counters, ssrc)
                ),
                inbound=inbound,
            )
        )

    def _frames_since_bound(
        self, mid: str, sid: str, counters: media_stats.ReceiveCounters
    ) -> tuple[int, float]:
        """Frames a receiver decoded since its m-line started carrying ``sid``."""
        base = self._frame_base.get(mid)
        if base is None or base[0] != sid:
            first = base is None  # the first track on this m-line counts from the start
            done = (counters.frames_decoded, counters.total_decode_time)
            base = (sid, 0, 0.0) if first else (sid, *done)
            self._frame_base[mid] = base
        return counters.frames_decoded - base[1], counters.total_decode_time - base[2]

    @staticmethod
    def _codec(codec: Any, transport_id: str, codecs: dict[str, s.RtcStatsEntry]) -> str:
        codec_id = f"CO_{transport_id}_{codec.payloadType}"
        if codec_id not in codecs:
            codecs[codec_id] = s.RtcStatsEntry(
                codec=s.Codec(
                    rtc=s.RtcStatsData(codec_id, _now_ms()),
                    codec=s.CodecStats(
                        payload_type=codec.payloadType,
                        transport_id=transport_id,
                        mime_type=codec.mimeType,
                        clock_rate=codec.clockRate,
                        channels=codec.channels or 0,
                        sdp_fmtp_line=_fmtp(dict(codec.parameters)),
                    ),
                )
            )
        return codec_id

    # ----- publisher -------------------------------------------------------------------

    async def _publisher_stats(self, pc: RTCPeerConnection) -> list[s.RtcStatsEntry]:
        entries: list[s.RtcStatsEntry] = []
        codecs: dict[str, s.RtcStatsEntry] = {}
        transports: dict[str, s.RtcStatsEntry] = {}
        for sid, transceiver in self._transceivers().items():
            sender = transceiver.sender
            if sender.track is None:
                continue
            report = await sender.getStats()
            transport_id = _transports(report, transports)
            codec = next(
                (c for c in media_stats.negotiated_codecs(transceiver) if c.name != "rtx"), None
            )
            codec_id = self._codec(codec, transport_id, codecs) if codec is not None else ""
            clock_rate = codec.clockRate if codec is not None else 90_000
            entries += _outbound(report, transceiver, sid, transport_id, (codec_id, clock_rate))
        return entries + list(codecs.values()) + list(transports.values())


def _outbound(
    report: Any,
    transceiver: RTCRtpTransceiver,
    sid: str,
    transport_id: str,
    codec: tuple[str, int],
) -> list[s.RtcStatsEntry]:
    kind, mid = transceiver.kind, transceiver.mid or ""
    codec_id, clock_rate = codec
    track = transceiver.sender.track
    counters = track.counters if isinstance(track, SourceVideoTrack) else None
    out: list[s.RtcStatsEntry] = []
    for stat in report.values():
        stream = None
        if hasattr(stat, "ssrc"):
            stream = s.RtpStreamStats(stat.ssrc, kind, transport_id, codec_id)
        if stat.type == "outbound-rtp" and stream is not None:
            c = counters or media_stats.SendCounters()
            outbound = s.OutboundRtpStreamStats(
                mid=mid,
                media_source_id=f"MS_{sid}",
                remote_id=f"RI_{mid}",
                frames_sent=c.frames_sent,
                frames_encoded=c.frames_encoded,
                frame_width=c.frame_width,
                frame_height=c.frame_height,
                frames_per_second=c.clock.fps(),
                total_encode_time=c.total_encode_time,
                total_conversion_time=c.total_conversion_time,
                active=not getattr(track, "muted", False),
            )
            sent = s.SentRtpStreamStats(stat.packetsSent, stat.bytesSent)
            entry = s.OutboundRtp(_data("OT", mid), stream, sent, outbound)
            out.append(s.RtcStatsEntry(outbound_rtp=entry))
            video = (
                s.VideoSourceStats(c.frame_width, c.frame_height, c.frames_sent, c.clock.fps())
                if counters is not None
                else None
            )
            source = s.MediaSourceStats(sid, kind)
            out.append(s.RtcStatsEntry(media_source=s.MediaSource(_data("MS", sid), source, video)))
        elif stat.type == "remote-inbound-rtp" and stream is not None:
            received = s.ReceivedRtpStreamStats(
                stat.packetsReceived, stat.packetsLost, stat.jitter / clock_rate
            )
            remote = s.RemoteInboundRtpStreamStats(
                f"OT_{mid}", stat.roundTripTime, stat.fractionLost / 256
            )
            member = s.RemoteInboundRtp(_data("RI", mid), stream, received, remote)
            out.append(s.RtcStatsEntry(remote_inbound_rtp=member))
    return out


def _jitter_s(counters: media_stats.ReceiveCounters, ssrc: int) -> float:
    """lkdesk's wrap-safe interarrival jitter of ``ssrc``, in seconds."""
    jitter = counters.jitter_by_ssrc.get(ssrc)
    return jitter.value / jitter.clock_rate if jitter is not None and jitter.clock_rate else 0.0


def _remote_outbound(stat: Any, inbound: s.RtcStatsEntry) -> s.RtcStatsEntry:
    assert inbound.inbound_rtp is not None
    mid = inbound.inbound_rtp.inbound.mid
    remote_ms = int(stat.remoteTimestamp.timestamp() * 1000) if stat.remoteTimestamp else 0
    return s.RtcStatsEntry(
        remote_outbound_rtp=s.RemoteOutboundRtp(
            rtc=_data("RO", mid),
            stream=inbound.inbound_rtp.stream,
            sent=s.SentRtpStreamStats(stat.packetsSent, stat.bytesSent),
            remote_outbound=s.RemoteOutboundRtpStreamStats(f"IT_{mid}", remote_ms),
        )
    )


def _transports(report: Any, into: dict[str, s.RtcStatsEntry]) -> str:
    """Add the report's transport entries; the id of the (bundled) transport."""
    transport_id = ""
    for stat in report.values():
        if stat.type == "transport":
            transport_id = f"T_{stat.id}"
            into[transport_id] = s.RtcStatsEntry(
                transport=s.Transport(
                    rtc=s.RtcStatsData(transport_id, _now_ms()),
                    transport=s.TransportStats(
                        stat.packetsSent,
                        stat.packetsReceived,
                        stat.bytesSent,
                        stat.bytesReceived,
                        stat.iceRole,
                        stat.dtlsState,
                    ),
                )
            )
    return transport_id

"""One RTP stream of a video sender: a simulcast layer (or the only one) with its RTX partner.

Packet building, retransmission from history (RTX, RFC 4588, with the repaired-RID
extension so the server can pair a layer's RTX stream it never saw in SDP), payload
padding for bandwidth probes, sender reports and counters. No encoding, no pacing: the
sender (video_sender.py) drives it.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from aiortc import clock
from aiortc.rtp import (
    HeaderExtensions,
    HeaderExtensionsMap,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtpPacket,
)

from lkdesk.rtc.engine.congestion.allocation import LayerPlan, LayerSpec
from lkdesk.rtc.engine.video_encoding import VIDEO_CLOCK

HISTORY = 1024  # packets kept for retransmission (a 720p keyframe is ~30 of them)
MAX_RETRANSMIT_AGE_S = 1.0


@dataclass(slots=True)
class LayerCounters:
    frames_encoded: int = 0
    keyframes: int = 0
    encoder_rebuilds: int = 0
    packets_sent: int = 0
    bytes_sent: int = 0
    retransmitted: int = 0
    retransmitted_bytes: int = 0
    nacks: int = 0
    plis: int = 0


@dataclass(slots=True)
class LayerStream:
    """RTP state of one layer. ``rid`` is "" for a single-layer track."""

    spec: LayerSpec
    ssrc: int
    rtx_ssrc: int
    plan: LayerPlan = field(default_factory=lambda: LayerPlan(False))
    wanted: bool = True  # the server's subscribed-quality update (dynacast) wants it
    sequence: int = field(default_factory=lambda: random.randint(0, 0x7FFF))
    rtx_sequence: int = field(default_factory=lambda: random.randint(0, 0x7FFF))
    picture_id: int = field(default_factory=lambda: random.randint(0, 0x7FFF))
    keyframe_wanted: bool = True
    counters: LayerCounters = field(default_factory=LayerCounters)
    history: dict[int, RtpPacket] = field(default_factory=dict)
    sent_at: dict[int, tuple[float, float]] = field(default_factory=dict)  # first, last resend
    next_due_us: int | None = None
    last_timestamp: int | None = None
    last_timestamp_at: float = 0.0
    sr_ntp: int = 0
    sr_sent_at: float = 0.0
    _padding_cursor: int = 0

    @property
    def rid(self) -> str:
        return self.spec.rid

    def takes(self, stamp_us: int) -> bool:
        """Whether this layer encodes the frame captured at ``stamp_us`` (its frame rate)."""
        if not self.plan.active or not self.wanted:
            self.next_due_us = None
            return False
        interval = int(1_000_000 / max(self.plan.fps, 1.0))
        due = self.next_due_us
        if due is not None and stamp_us < due - interval // 2:
            return False
        if due is None or stamp_us > due + interval:
            due = stamp_us
        self.next_due_us = due + interval
        return True

    def media_packets(
        self,
        payloads: list[bytes],
        payload_type: int,
        timestamp: int,
        mid: str | None,
        captured_at: float,
    ) -> list[RtpPacket]:
        """RTP packets of one frame, numbered and kept for retransmission.

        ``captured_at`` (monotonic s) is when the frame was captured: sender reports map
        NTP to RTP time from it, the same for every layer, whatever the encoding delay.
        """
        packets = []
        now = time.monotonic()
        if len(self.sent_at) > 2 * HISTORY:
            self.sent_at = {k: v for k, v in self.sent_at.items() if now - v[0] < 2.0}
        for index, payload in enumerate(payloads):
            packet = RtpPacket(
                payload_type=payload_type,
                marker=int(index == len(payloads) - 1),
                sequence_number=self.sequence,
                timestamp=timestamp,
                ssrc=self.ssrc,
                payload=payload,
            )
            packet.extensions = HeaderExtensions(mid=mid, rtp_stream_id=self.rid or None)
            self.sequence = (self.sequence + 1) & 0xFFFF
            self.history[packet.sequence_number % HISTORY] = packet
            self.sent_at[packet.sequence_number] = (now, 0.0)
            packets.append(packet)
        self.picture_id = (self.picture_id + 1) & 0x7FFF
        self.last_timestamp = timestamp
        self.last_timestamp_at = captured_at
        return packets

    def retransmission(
        self, sequence: int, rtx_payload_type: int | None, min_gap_s: float
    ) -> RtpPacket | None:
        """The packet ``sequence`` again (as RTX when negotiated); None if forgotten, too
        old (a second: its frame is long due), or resent less than ``min_gap_s`` ago (the
        server repeats a NACK until the first retransmission had time to arrive)."""
        original = self.history.get(sequence % HISTORY)
        if original is None or original.sequence_number != sequence:
            return None
        now = time.monotonic()
        sent_at, resent_at = self.sent_at.get(sequence, (0.0, 0.0))
        if now - sent_at > MAX_RETRANSMIT_AGE_S or now - resent_at < min_gap_s:
            return None
        self.sent_at[sequence] = (sent_at, now)
        self.counters.retransmitted += 1
        return self._rtx_of(original, rtx_payload_type)

    def _rtx_of(self, original: RtpPacket, rtx_payload_type: int | None) -> RtpPacket:
        if rtx_payload_type is None:
            copy = RtpPacket(
                payload_type=original.payload_type,
                marker=original.marker,
                sequence_number=original.sequence_number,
                timestamp=original.timestamp,
                ssrc=original.ssrc,
                payload=original.payload,
            )
            copy.extensions = HeaderExtensions(mid=original.extensions.mid)
            copy.extensions.rtp_stream_id = original.extensions.rtp_stream_id
            return copy
        rtx = RtpPacket(
            payload_type=rtx_payload_type,
            marker=original.marker,
            sequence_number=self.rtx_sequence,
            timestamp=original.timestamp,
            ssrc=self.rtx_ssrc,
            payload=original.sequence_number.to_bytes(2, "big") + original.payload,
        )
        rtx.extensions = HeaderExtensions(
            mid=original.extensions.mid, repaired_rtp_stream_id=self.rid or None
        )
        self.rtx_sequence = (self.rtx_sequence + 1) & 0xFFFF
        return rtx

    def padding(self, size: int, rtx_payload_type: int | None) -> RtpPacket | None:
        """A probe packet: a recent packet sent again on RTX (the server drops duplicates)."""
        if rtx_payload_type is None or self.last_timestamp is None:
            return None
        for _ in range(HISTORY):
            self._padding_cursor = (self._padding_cursor - 1) % HISTORY
            candidate = self.history.get((self.sequence + self._padding_cursor) % HISTORY)
            if candidate is not None and len(candidate.payload) >= min(size, 200):
                return self._rtx_of(candidate, rtx_payload_type)
        return None

    def sender_report(self) -> RtcpSrPacket | None:
        """An SR mapping now (NTP) to this layer's RTP clock, or None before the first frame."""
        if self.last_timestamp is None:
            return None
        elapsed = time.monotonic() - self.last_timestamp_at
        rtp_now = (self.last_timestamp + int(elapsed * VIDEO_CLOCK)) & 0xFFFFFFFF
        ntp = clock.current_ntp_time()
        self.sr_ntp = (ntp >> 16) & 0xFFFFFFFF
        self.sr_sent_at = time.monotonic()
        return RtcpSrPacket(
            ssrc=self.ssrc,
            sender_info=RtcpSenderInfo(
                ntp_timestamp=ntp,
                rtp_timestamp=rtp_now,
                packet_count=self.counters.packets_sent & 0xFFFFFFFF,
                octet_count=self.counters.bytes_sent & 0xFFFFFFFF,
            ),
        )

    def round_trip(self, lsr: int, dlsr: int) -> float | None:
        """RTT (s) from a report block echoing our last SR, else None."""
        if not lsr or lsr != self.sr_ntp:
            return None
        rtt = time.monotonic() - self.sr_sent_at - dlsr / 65536
        return rtt if rtt >= 0 else None

    def report(self) -> dict[str, Any]:
        """This layer's figures for statistics: its spec, the plan it runs and its counters."""
        return {
            "rid": self.rid,
            "quality": self.spec.quality,
            "width": self.spec.width,
            "height": self.spec.height,
            "active": self.plan.active and self.wanted,
            "wanted": self.wanted,
            "bitrate": self.plan.bitrate,
            "fps": self.plan.fps,
            "scale": self.plan.scale,
            **asdict(self.counters),
        }


def serialize(packet: RtpPacket, extensions: HeaderExtensionsMap, twcc_seq: int | None) -> bytes:
    """The packet's bytes with the transport-wide sequence number it leaves with."""
    packet.extensions.transport_sequence_number = twcc_seq
    return packet.serialize(extensions)

"""Transport-wide congestion control feedback: parse it, and keep what we sent to match it.

Wire format (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1), after the RTCP
header (PT 205, FMT 15): sender SSRC, media SSRC, base sequence number, packet status count,
24-bit signed reference time (×64 ms), feedback count, then 16-bit packet chunks (run-length
or status vector) and one receive delta per received packet (1 byte, or 2 bytes signed,
×250 µs). Each delta is relative to the previous received packet, the first one to the
reference time.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass

RTCP_RTPFB = 205
TWCC_FMT = 15
_NOT_RECEIVED, _SMALL, _LARGE = 0, 1, 2
_DELTA_US = 250
_REFERENCE_US = 64_000


class TwccError(ValueError):
    """A feedback packet that does not parse."""


@dataclass(frozen=True, slots=True)
class TwccFeedback:
    """Per packet: its 16-bit transport sequence number and arrival time (µs) or None."""

    media_ssrc: int
    feedback_count: int
    packets: tuple[tuple[int, int | None], ...]


def _statuses(data: bytes, pos: int, count: int) -> tuple[list[int], int]:
    statuses: list[int] = []
    while len(statuses) < count:
        if pos + 2 > len(data):
            raise TwccError("TWCC feedback ends inside its packet chunks")
        (chunk,) = struct.unpack_from("!H", data, pos)
        pos += 2
        if chunk & 0x8000 == 0:  # run length
            symbol = (chunk >> 13) & 0x3
            statuses.extend([symbol] * (chunk & 0x1FFF))
        elif chunk & 0x4000 == 0:  # fourteen 1-bit symbols
            statuses.extend((chunk >> (13 - i)) & 0x1 for i in range(14))
        else:  # seven 2-bit symbols
            statuses.extend((chunk >> (12 - 2 * i)) & 0x3 for i in range(7))
    return statuses[:count], pos


def parse_feedback(body: bytes) -> TwccFeedback:
    """Parse one TWCC feedback message body (the bytes after the 4-byte RTCP header)."""
    if len(body) < 16:
        raise TwccError("TWCC feedback is too short")
    _sender, media_ssrc, base, count, ref_fb = struct.unpack_from("!LLHHL", body, 0)
    reference = ref_fb >> 8
    if reference & 0x800000:
        reference -= 1 << 24
    statuses, pos = _statuses(body, 16, count)
    now_us = reference * _REFERENCE_US
    packets: list[tuple[int, int | None]] = []
    for i, symbol in enumerate(statuses):
        seq = (base + i) & 0xFFFF
        if symbol == _NOT_RECEIVED:
            packets.append((seq, None))
            continue
        if symbol == _SMALL:
            if pos + 1 > len(body):
                raise TwccError("TWCC feedback ends inside its receive deltas")
            delta = body[pos]
            pos += 1
        elif symbol == _LARGE:
            if pos + 2 > len(body):
                raise TwccError("TWCC feedback ends inside its receive deltas")
            (delta,) = struct.unpack_from("!h", body, pos)
            pos += 2
        else:
            raise TwccError("TWCC feedback uses the reserved status symbol")
        now_us += delta * _DELTA_US
        packets.append((seq, now_us))
    return TwccFeedback(media_ssrc, ref_fb & 0xFF, tuple(packets))


def feedback_bodies(compound: bytes) -> list[bytes]:
    """The bodies of every TWCC feedback in a (decrypted) compound RTCP packet."""
    found: list[bytes] = []
    pos = 0
    while pos + 4 <= len(compound):
        first, packet_type, length = struct.unpack_from("!BBH", compound, pos)
        end = pos + 4 + 4 * length
        if first >> 6 != 2 or end > len(compound):
            break
        if packet_type == RTCP_RTPFB and first & 0x1F == TWCC_FMT:
            body = compound[pos + 4 : end]
            if first & 0x20 and body:  # padding
                body = body[: -body[-1]]
            found.append(body)
        pos = end
    return found


@dataclass(frozen=True, slots=True)
class SentPacket:
    """One video packet we sent: when, how big (bytes on the wire), which probe (or -1)."""

    sequence: int  # unwrapped transport sequence number
    send_us: int
    size: int
    cluster: int = -1


@dataclass(frozen=True, slots=True)
class PacketResult:
    sent: SentPacket
    arrival_us: int | None  # receiver clock; None when reported lost


class SendHistory:
    """Transport-wide sequence numbers: assigns them, remembers each send for the feedback."""

    def __init__(self, capacity: int = 8192) -> None:
        self._next = 0
        self._capacity = capacity
        self._sent: OrderedDict[int, SentPacket] = OrderedDict()
        self._acked_upto = -1

    def add(self, send_us: int, size: int, cluster: int = -1) -> int:
        """Record a packet about to go out; returns its 16-bit sequence number."""
        sequence = self._next
        self._next += 1
        self._sent[sequence] = SentPacket(sequence, send_us, size, cluster)
        while len(self._sent) > self._capacity:
            self._sent.popitem(last=False)
        return sequence & 0xFFFF

    def _unwrap(self, seq16: int) -> int:
        newest = self._next - 1
        candidate = (newest & ~0xFFFF) | seq16
        if candidate > newest:
            candidate -= 1 << 16
        return candidate

    def match(self, feedback: TwccFeedback) -> list[PacketResult]:
        """The sends the feedback reports on, in sequence order (unknown ones skipped).

        A packet is reported once as received; a later feedback naming it again (the
        receiver repeats losses until it gives up) is ignored.
        """
        results: list[PacketResult] = []
        for seq16, arrival in feedback.packets:
            sent = self._sent.get(self._unwrap(seq16))
            if sent is None:
                continue
            if arrival is None and sent.sequence <= self._acked_upto:
                continue  # reported again as lost after a newer feedback: already counted
            results.append(PacketResult(sent, arrival))
            if arrival is not None:
                del self._sent[sent.sequence]
        if results:
            self._acked_upto = max(self._acked_upto, results[-1].sent.sequence)
        return results

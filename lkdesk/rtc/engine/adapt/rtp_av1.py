"""AV1 RTP payloads (the AOM "RTP Payload Format for AV1", v1.0): packets to temporal units.

Hand-written because no Python library depacketises AV1 RTP for PyAV (aiortc 1.16 has VP8
and H.264 only). Sans-I/O, in two steps, because aiortc depacketises each packet on its own
and joins the results of one frame by concatenation, while an AV1 OBU may be split over
packets and its size is only known once all its fragments are in:

1. :func:`av1_depayload` (per packet, on the event loop) checks the packet's aggregation
   header and OBU elements and returns the packet prefixed with its length, so the
   concatenation of one frame's packets can be split again;
2. :func:`assemble_temporal_unit` (per frame, in aiortc's decoder thread) joins fragments
   into OBUs, drops temporal delimiters and tile lists as the format says receivers must,
   gives every OBU its ``obu_size`` field (RTP senders leave it out) and starts the unit
   with one temporal delimiter: the low-overhead bitstream a decoder such as dav1d takes.

Anything that does not follow the format raises :class:`MalformedPayload` (a ``ValueError``).
"""

from __future__ import annotations

from dataclasses import dataclass

from lkdesk.rtc.engine.adapt.rtp_vp9 import MalformedPayload

OBU_SEQUENCE_HEADER = 1
OBU_TEMPORAL_DELIMITER = 2
OBU_FRAME_HEADER = 3
OBU_FRAME = 6
OBU_TILE_LIST = 8
_DROPPED_OBUS = (OBU_TEMPORAL_DELIMITER, OBU_TILE_LIST)
_TEMPORAL_DELIMITER = bytes([OBU_TEMPORAL_DELIMITER << 3 | 0x02, 0x00])
MAX_LEB128_BYTES = 8
MAX_OBU_SIZE = (1 << 32) - 1  # the AV1 specification limits obu_size to 2^32 - 1

_Z, _Y, _N = 0x80, 0x40, 0x08
_OBU_FORBIDDEN, _OBU_EXTENSION, _OBU_HAS_SIZE = 0x80, 0x04, 0x02


@dataclass(frozen=True, slots=True)
class Av1Packet:
    """One RTP payload: its aggregation header and OBU elements (whole OBUs or fragments)."""

    continues_obu: bool
    """Z: the first element is the rest of an OBU begun in the previous packet."""
    continued: bool
    """Y: the last element is an OBU that goes on in the next packet."""
    new_sequence: bool
    """N: first packet of a coded video sequence (libwebrtc sets it on keyframes)."""
    elements: tuple[bytes, ...]


def read_leb128(data: bytes, pos: int) -> tuple[int, int]:
    """Decode an unsigned LEB128 at ``pos``; return (value, position after it)."""
    value = 0
    for i in range(MAX_LEB128_BYTES):
        if pos + i >= len(data):
            raise MalformedPayload("AV1 LEB128 value ends early")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, pos + i + 1
    raise MalformedPayload("AV1 LEB128 value longer than 8 bytes")


def leb128(value: int) -> bytes:
    """Encode ``value`` (>= 0) as unsigned LEB128, shortest form."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def parse_packet(payload: bytes) -> Av1Packet:
    """Parse one AV1 RTP payload; raise :class:`MalformedPayload`."""
    if not payload:
        raise MalformedPayload("empty AV1 payload")
    head = payload[0]
    count = (head >> 4) & 0x03  # W: 0 = every element has a length field
    z, y, n = bool(head & _Z), bool(head & _Y), bool(head & _N)
    if z and n:
        raise MalformedPayload("an AV1 coded video sequence cannot start inside an OBU")
    elements: list[bytes] = []
    pos = 1
    while pos < len(payload):
        if count and len(elements) == count - 1:
            elements.append(payload[pos:])  # the last of W elements has no length field
            pos = len(payload)
            break
        size, pos = read_leb128(payload, pos)
        if pos + size > len(payload):
            raise MalformedPayload("AV1 OBU element longer than its packet")
        elements.append(payload[pos : pos + size])
        pos += size
    if not elements:
        if count != 1:
            raise MalformedPayload("AV1 payload without OBU elements")
        elements.append(b"")  # one empty element: only W=1 allows a bare aggregation header
    return Av1Packet(z, y, n, tuple(elements))


def av1_depayload(payload: bytes) -> bytes:
    """Check one packet and frame it for :func:`assemble_temporal_unit` (see module doc)."""
    parse_packet(payload)
    return leb128(len(payload)) + payload


def split_framed(data: bytes) -> list[bytes]:
    """Undo :func:`av1_depayload`'s framing over a frame's concatenated packets."""
    packets: list[bytes] = []
    pos = 0
    while pos < len(data):
        size, pos = read_leb128(data, pos)
        if size == 0 or pos + size > len(data):
            raise MalformedPayload("AV1 frame data is not a sequence of framed packets")
        packets.append(data[pos : pos + size])
        pos += size
    return packets


def assemble_temporal_unit(data: bytes) -> bytes:
    """Build the temporal unit of one frame from its concatenated :func:`av1_depayload` output."""
    obus: list[list[bytes]] = []
    expect_continuation = False
    for raw in split_framed(data):
        packet = parse_packet(raw)
        if packet.continues_obu != expect_continuation:
            raise MalformedPayload("AV1 OBU fragments do not join up (Z/Y bits)")
        for index, element in enumerate(packet.elements):
            if index == 0 and packet.continues_obu:
                obus[-1].append(element)
            else:
                obus.append([element])
        expect_continuation = packet.continued
    if expect_continuation:
        raise MalformedPayload("AV1 frame ends inside an OBU")
    out = [_TEMPORAL_DELIMITER]
    for fragments in obus:
        obu = _sized_obu(b"".join(fragments))
        if obu:
            out.append(obu)
    return b"".join(out)


def _sized_obu(obu: bytes) -> bytes:
    """``obu`` with ``obu_has_size_field`` set and its size written; b"" for dropped types."""
    if not obu:
        return b""  # an empty element (allowed, if pointless)
    header = obu[0]
    if header & _OBU_FORBIDDEN:
        raise MalformedPayload("AV1 OBU header with the forbidden bit set")
    head_size = 2 if header & _OBU_EXTENSION else 1
    if len(obu) < head_size:
        raise MalformedPayload("AV1 OBU ends inside its extension header")
    body = head_size
    if header & _OBU_HAS_SIZE:
        size, body = read_leb128(obu, head_size)
        if size != len(obu) - body:
            raise MalformedPayload("AV1 obu_size does not match the OBU's length")
    if (header >> 3) & 0x0F in _DROPPED_OBUS:
        return b""
    payload_size = len(obu) - body
    if payload_size > MAX_OBU_SIZE:
        raise MalformedPayload("AV1 OBU too large")
    return bytes([header | _OBU_HAS_SIZE]) + obu[1:head_size] + leb128(payload_size) + obu[body:]


def obu_type(element: bytes) -> int | None:
    """The OBU type in an element that starts an OBU (None for an empty element)."""
    return (element[0] >> 3) & 0x0F if element else None

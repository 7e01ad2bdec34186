"""Scripted VP9 and AV1 RTP senders for the depacketiser tests: real encoders, test packetisers.

Frames are encoded live with PyAV (libvpx-vp9, SVT-AV1) in low-delay settings, one packet
out per frame in, so a keyframe can be forced when the receiver sends a PLI. The packetisers
write the payload formats as the specifications describe them (RFC 9628 for VP9, the AOM
AV1 RTP specification for AV1); they are test code, deliberately simple, with knobs for
the variants a receiver must accept (descriptor modes, OBU element counts, fragmentation).
"""

from __future__ import annotations

import fractions
from collections.abc import Callable

import av
import numpy as np
from aiortc.rtp import RtpPacket
from av.video.codeccontext import VideoCodecContext

from lkdesk.rtc.engine.adapt.rtp_av1 import leb128, read_leb128

WIDTH, HEIGHT = 320, 240
TICKS_PER_FRAME = 3000
ENCODERS = {
    "VP9": ("libvpx-vp9", {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}),
    "AV1": ("libsvtav1", {"preset": "12", "svtav1-params": "pred-struct=1:lookahead=0"}),
}


def grey(frame_no: int) -> int:
    """The grey level frame ``frame_no`` is painted with."""
    return 20 + (frame_no * 37) % 200


def make_encoder(codec: str) -> VideoCodecContext:
    name, options = ENCODERS[codec]
    encoder: VideoCodecContext = av.CodecContext.create(name, "w")  # type: ignore[assignment]
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 30)
    encoder.framerate = fractions.Fraction(30, 1)
    encoder.gop_size = 1000  # keyframes only when asked for
    encoder.options = dict(options)
    return encoder


def encode(encoder: VideoCodecContext, frame_no: int, *, keyframe: bool) -> tuple[bytes, bool]:
    """Encode one solid grey frame; return (bitstream, is keyframe)."""
    image = np.full((HEIGHT, WIDTH, 3), grey(frame_no), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
    frame.pts = frame_no
    frame.time_base = fractions.Fraction(1, 30)
    if keyframe:
        frame.pict_type = av.video.frame.PictureType.I
    packets = encoder.encode(frame)
    assert len(packets) == 1, "the test encoders must not delay frames"
    return bytes(packets[0]), bool(packets[0].is_keyframe)


# -- VP9 (RFC 9628) -------------------------------------------------------------------------


def vp9_payloads(
    data: bytes,
    *,
    keyframe: bool,
    picture_id: int,
    mtu: int = 200,
    flexible: bool = True,
    spatial_id: int = 0,
    inter_layer: bool = False,
    tl0picidx: int = 0,
) -> list[bytes]:
    """Split one VP9 (layer) frame into payloads; the first packet of a keyframe carries an SS."""
    chunks = [data[i : i + mtu] for i in range(0, len(data), mtu)] or [b""]
    payloads = []
    for index, chunk in enumerate(chunks):
        first, last = index == 0, index == len(chunks) - 1
        inter_picture = not keyframe
        scalability = first and keyframe and spatial_id == 0
        head = 0x80 | 0x20  # I, L
        head |= 0x40 if inter_picture else 0
        head |= 0x10 if flexible else 0
        head |= 0x08 if first else 0
        head |= 0x04 if last else 0
        head |= 0x02 if scalability else 0
        out = bytearray([head, 0x80 | (picture_id >> 8) & 0x7F, picture_id & 0xFF])
        out.append((spatial_id << 1) | (1 if inter_layer else 0))  # TID 0, U 0, SID, D
        if not flexible:
            out.append(tl0picidx & 0xFF)
        elif inter_picture:
            out.append(1 << 1)  # P_DIFF 1, no further reference
        if scalability:
            out.append(0x10)  # N_S = 0 (one layer), Y = 1, G = 0
            out += WIDTH.to_bytes(2, "big") + HEIGHT.to_bytes(2, "big")
        payloads.append(bytes(out) + chunk)
    return payloads


# -- AV1 (AOM RTP specification) ----------------------------------------------------------


def split_obus(unit: bytes) -> list[bytes]:
    """The OBUs of a low-overhead temporal unit, each without its obu_size field."""
    obus = []
    pos = 0
    while pos < len(unit):
        header = unit[pos]
        head_size = 2 if header & 0x04 else 1
        size, body = read_leb128(unit, pos + head_size)
        obus.append(
            bytes([header & ~0x02]) + unit[pos + 1 : pos + head_size] + unit[body : body + size]
        )
        pos = body + size
    return obus


def av1_payloads(
    unit: bytes, *, keyframe: bool, mtu: int = 40, count_field: bool = False
) -> list[bytes]:
    """Packetise a temporal unit: temporal delimiters dropped, OBUs fragmented at ``mtu``.

    With ``count_field`` the W field counts the elements (the last one has no length) when
    there are at most three; otherwise W = 0 and every element has a length.
    """
    obus = [obu for obu in split_obus(unit) if (obu[0] >> 3) & 0x0F != 2]
    packets: list[tuple[list[bytes], bool, bool]] = []  # (elements, Z, Y)
    elements: list[bytes] = []
    continues = False
    room = mtu - 1
    for obu in obus:
        rest = obu
        while rest:
            if room < 4:
                packets.append((elements, continues, False))
                elements, continues, room = [], False, mtu - 1
            take = rest[: room - 2]  # sizes stay below 128: one LEB128 byte (two spare)
            rest = rest[len(take) :]
            elements.append(take)
            room -= len(take) + 2
            if rest:
                packets.append((elements, continues, True))
                elements, continues, room = [], True, mtu - 1
    if elements:
        packets.append((elements, continues, False))
    payloads = []
    for index, (items, z, y) in enumerate(packets):
        count = len(items) if count_field and len(items) <= 3 else 0
        head = (0x80 if z else 0) | (0x40 if y else 0) | count << 4
        head |= 0x08 if keyframe and index == 0 else 0
        body = bytearray([head])
        for position, item in enumerate(items):
            if not (count and position == count - 1):
                body += leb128(len(item))
            body += item
        payloads.append(bytes(body))
    return payloads


# -- a sender of RTP packets ----------------------------------------------------------------


class Sender:
    """Encodes frame n as solid grey ``grey(n)``; a keyframe first and whenever asked."""

    def __init__(
        self,
        codec: str,
        *,
        ssrc: int,
        payload_type: int,
        packetise: Callable[[bytes, bool, int], list[bytes]] | None = None,
    ) -> None:
        self.codec = codec
        self.encoder = make_encoder(codec)
        self.ssrc = ssrc
        self.payload_type = payload_type
        self.seq = 1000
        self.frame_no = 0
        self.want_keyframe = True
        self._packetise = packetise or self._default_packetise

    def _default_packetise(self, data: bytes, keyframe: bool, frame_no: int) -> list[bytes]:
        if self.codec == "VP9":
            return vp9_payloads(data, keyframe=keyframe, picture_id=frame_no & 0x7FFF)
        return av1_payloads(data, keyframe=keyframe, count_field=frame_no % 2 == 1)

    def next_frame(self) -> list[RtpPacket]:
        data, keyframe = encode(self.encoder, self.frame_no, keyframe=self.want_keyframe)
        self.want_keyframe = False
        payloads = self._packetise(data, keyframe, self.frame_no)
        packets = []
        for i, payload in enumerate(payloads):
            packet = RtpPacket(payload_type=self.payload_type, sequence_number=self.seq & 0xFFFF)
            packet.timestamp = (self.frame_no * TICKS_PER_FRAME) & 0xFFFFFFFF
            packet.ssrc = self.ssrc
            packet.marker = 1 if i == len(payloads) - 1 else 0
            packet.payload = payload
            packets.append(packet)
            self.seq += 1
        self.frame_no += 1
        return packets

"""What a video RTP payload says about frame boundaries and keyframes (VP8, H.264, VP9, AV1).

aiortc's depacketisers strip these headers before its jitter buffer sees the data, so the
receiver recovery reads them from the raw payload itself. ``None`` means "cannot tell from
this packet": the caller then falls back to timestamps, and never gates on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lkdesk.rtc.engine.adapt import rtp_av1
from lkdesk.rtc.engine.adapt.rtp_vp9 import MalformedPayload, parse_descriptor

_H264_IDR = 5
_H264_STAP_A = 24
_H264_FU_A = 28


@dataclass(frozen=True, slots=True)
class PayloadInfo:
    """Frame facts one packet's payload carries."""

    starts_frame: bool | None
    """True/False when the payload format marks the first packet of a frame."""
    keyframe: bool | None
    """True when the packet shows its frame is a keyframe, False when it shows it is not."""


UNKNOWN = PayloadInfo(None, None)


def vp8_info(payload: bytes) -> PayloadInfo:
    """RFC 7741: S=1 with partition 0 starts a frame; its first byte's P bit is 0 on keyframes."""
    if not payload:
        return UNKNOWN
    first = payload[0]
    starts = bool(first & 0x10) and (first & 0x07) == 0
    pos = 1
    if first & 0x80:  # X: extension byte follows
        if len(payload) < 2:
            return UNKNOWN
        ext = payload[1]
        pos = 2
        if ext & 0x80:  # I: PictureID, 7 or 15 bits
            if len(payload) <= pos:
                return UNKNOWN
            pos += 2 if payload[pos] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            pos += 1
        if ext & 0x30:  # T and/or K share one byte
            pos += 1
    if not starts:
        return PayloadInfo(False, None)
    if len(payload) <= pos:
        return PayloadInfo(True, None)
    return PayloadInfo(True, (payload[pos] & 0x01) == 0)


def h264_info(payload: bytes) -> PayloadInfo:
    """RFC 6184: an IDR slice marks a keyframe; an FU-A middle fragment never starts a frame."""
    if not payload:
        return UNKNOWN
    nal_type = payload[0] & 0x1F
    if 1 <= nal_type <= 23:
        return PayloadInfo(None, nal_type == _H264_IDR)
    if nal_type == _H264_STAP_A:
        pos = 1
        idr = False
        while pos + 2 < len(payload):
            size = int.from_bytes(payload[pos : pos + 2], "big")
            idr = idr or (payload[pos + 2] & 0x1F) == _H264_IDR
            pos += 2 + size
        return PayloadInfo(None, idr)
    if nal_type == _H264_FU_A:
        if len(payload) < 2:
            return UNKNOWN
        header = payload[1]
        first_fragment = bool(header & 0x80)
        return PayloadInfo(None if first_fragment else False, (header & 0x1F) == _H264_IDR)
    return UNKNOWN


def vp9_info(payload: bytes) -> PayloadInfo:
    """RFC 9628: a picture's first packet begins a layer frame (B=1) that does not build on a
    lower layer of the same picture: spatial layer 0, or a higher one without D, which is
    all the server forwards of an L3T3_KEY delta picture. That packet's P bit is 0 on
    keyframes (base layer only); any other packet never starts a picture."""
    try:
        descriptor = parse_descriptor(payload)
    except MalformedPayload:
        return UNKNOWN
    if not descriptor.begins_frame or (descriptor.spatial_id and descriptor.inter_layer):
        return PayloadInfo(False, None)
    if descriptor.spatial_id == 0:
        return PayloadInfo(True, not descriptor.inter_picture)
    return PayloadInfo(True, False if descriptor.inter_picture else None)


def av1_info(payload: bytes) -> PayloadInfo:
    """AV1 RTP: a packet that continues an OBU (Z=1) never starts a frame. As in libwebrtc, N=1
    marks a keyframe's first packet and any other packet counts as a delta frame's, unless it
    begins with a sequence header (senders that do not set N send one with each keyframe)."""
    try:
        packet = rtp_av1.parse_packet(payload)
    except MalformedPayload:
        return UNKNOWN
    if packet.continues_obu:
        return PayloadInfo(False, False)
    first = rtp_av1.obu_type(packet.elements[0])
    keyframe = packet.new_sequence or first == rtp_av1.OBU_SEQUENCE_HEADER
    # A keyframe's first packet starts its temporal unit; for others only timestamps tell.
    return PayloadInfo(True if keyframe else None, keyframe)


def info_for(codec_name: str, payload: bytes) -> PayloadInfo:
    """Frame facts for ``codec_name`` (as in aiortc's codec parameters, e.g. "VP8")."""
    name = codec_name.lower()
    if name == "vp8":
        return vp8_info(payload)
    if name == "h264":
        return h264_info(payload)
    if name == "vp9":
        return vp9_info(payload)
    if name == "av1":
        return av1_info(payload)
    return UNKNOWN

"""VP9 and AV1 decoders for aiortc's decoder thread, on PyAV (libvpx-vp9 and dav1d).

They follow aiortc's ``Decoder`` contract: ``decode(JitterFrame)`` returns decoded frames,
and may raise only ``av.FFmpegError``, the one exception aiortc's decoder thread survives
(it logs it and asks the sender for a keyframe). Malformed frame data is therefore raised
as ``av.error.InvalidDataError``. Each call gets one whole picture (VP9: every forwarded
spatial layer; AV1: one temporal unit) and returns at most one frame, the last one
decoded: with spatial layers, the highest layer the server forwarded.
"""

from __future__ import annotations

import errno
import logging
from typing import Any, cast

import av
from aiortc.codecs.base import Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import VIDEO_TIME_BASE
from av.frame import Frame
from av.video.codeccontext import VideoCodecContext

from lkdesk.rtc.engine.adapt.rtp_av1 import assemble_temporal_unit
from lkdesk.rtc.engine.adapt.rtp_vp9 import MalformedPayload

logger = logging.getLogger(__name__)

VP9_DECODER = "libvpx-vp9"
AV1_DECODER = "libdav1d"
# dav1d: output every spatial layer as soon as it is decoded (we keep the last one per
# temporal unit) instead of holding a lower layer back until the next temporal unit shows
# no higher one is coming; and no frame-threading delay.
AV1_OPTIONS = {"alllayers": "1", "max_frame_delay": "1"}


def _packet(data: bytes, timestamp: int) -> av.Packet[Any]:
    packet = av.Packet(data)
    packet.pts = timestamp
    packet.time_base = VIDEO_TIME_BASE
    return packet


def _last(frames: list[Frame]) -> list[Frame]:
    return frames[-1:]


class Vp9Decoder(Decoder):
    """libvpx's VP9 decoder: it decodes the concatenated layer frames of a picture in turn."""

    def __init__(self) -> None:
        self.codec = cast(VideoCodecContext, av.CodecContext.create(VP9_DECODER, "r"))

    def decode(self, encoded_frame: JitterFrame) -> list[Frame]:
        frames = self.codec.decode(_packet(encoded_frame.data, encoded_frame.timestamp))
        return _last(cast(list[Frame], frames))


class Av1Decoder(Decoder):
    """dav1d's AV1 decoder, fed temporal units rebuilt from RTP (rtp_av1.py)."""

    def __init__(self) -> None:
        self.codec = cast(VideoCodecContext, av.CodecContext.create(AV1_DECODER, "r"))
        self.codec.options = dict(AV1_OPTIONS)
        self.codec.open()
        ignored = set(self.codec.options) & set(AV1_OPTIONS)
        if ignored:
            logger.warning("dav1d ignored options %s; SVC video may lag", sorted(ignored))

    def decode(self, encoded_frame: JitterFrame) -> list[Frame]:
        try:
            unit = assemble_temporal_unit(encoded_frame.data)
        except MalformedPayload as exc:
            raise av.error.InvalidDataError(errno.EINVAL, f"AV1 RTP: {exc}") from exc
        frames = self.codec.decode(_packet(unit, encoded_frame.timestamp))
        return _last(cast(list[Frame], frames))


def decoder_available(name: str) -> bool:
    """True when the installed PyAV can open decoder ``name``."""
    try:
        av.CodecContext.create(name, "r").open()
    except (av.FFmpegError, ValueError) as exc:
        logger.info("PyAV has no usable %s decoder: %s", name, exc)
        return False
    return True

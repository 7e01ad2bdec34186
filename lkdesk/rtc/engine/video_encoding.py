"""VP8 encoding for lkdesk's video senders: one encoder per layer, run off the event loop.

aiortc's own video path converts each RGB frame with PyAV (about 14 ms of CPU for a 720p
frame here) and rebuilds its encoder, with a keyframe, on every >10 % change of the REMB
target. This module converts once with OpenCV (0.6 ms), scales per layer with swscale,
keeps one libvpx encoder per layer, and rebuilds it only when the layer's size or its
bitrate moves well outside the configured one (libvpx through PyAV cannot change its
target bitrate on the fly). Keyframes are capped (``max-intra-rate``) so a rebuild under
congestion does not flood the uplink.

:func:`encode_layers` runs in the sender's single worker thread: PyAV releases the GIL in
libvpx, so the loop (and the audio) keeps running meanwhile.

An encoded frame is the whole VP8 frame, before packetisation: the place where a frame
transform (end-to-end encryption) works, per layer (see ``FrameTransform``).
"""

from __future__ import annotations

import fractions
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import av
import cv2
import numpy as np
import numpy.typing as npt
from av.video.codeccontext import VideoCodecContext
from av.video.frame import PictureType

from lkdesk.core.frames import VideoFormat, VideoFrame

VIDEO_CLOCK = 90_000
MAX_PAYLOAD = 1200
#: Rebuild an encoder when the wanted bitrate leaves [DOWN, UP] × the configured one.
REBUILD_DOWN = 0.8
REBUILD_UP = 1.25
#: ... but at most this often (seconds); lowering is allowed sooner than raising.
REBUILD_DOWN_EVERY_S = 0.5
REBUILD_UP_EVERY_S = 2.0

_TO_I420 = {
    VideoFormat.RGB24: cv2.COLOR_RGB2YUV_I420,
    VideoFormat.BGR24: cv2.COLOR_BGR2YUV_I420,
    VideoFormat.RGBA: cv2.COLOR_RGBA2YUV_I420,
}


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One layer's encoded frame as it goes to the packetiser."""

    rid: str  # "" for a single-layer track
    ssrc: int
    timestamp: int  # RTP timestamp
    keyframe: bool
    data: bytes


#: Called in the encoder thread for every encoded frame of every layer, before packetisation;
#: returns the bytes to send (e.g. encrypted), or None to drop the frame.
FrameTransform = Callable[[EncodedFrame], bytes | None]


@dataclass(frozen=True, slots=True)
class LayerJob:
    """What one layer wants from this frame."""

    index: int
    width: int
    height: int
    bitrate: int
    keyframe: bool
    fps: float = 30.0


@dataclass(frozen=True, slots=True)
class LayerResult:
    index: int
    data: bytes
    keyframe: bool
    rebuilt: bool


def to_i420(frame: VideoFrame) -> av.VideoFrame:
    """An lkdesk frame as a planar YUV 4:2:0 PyAV frame (even size; OpenCV converts with
    BT.601 video-range coefficients, as decoders expect)."""
    data = frame.data
    height, width = data.shape[:2]
    if width % 2 or height % 2:
        data = data[: height - height % 2, : width - width % 2]
    converted = cv2.cvtColor(np.ascontiguousarray(data), _TO_I420[frame.format])
    yuv = cast(npt.NDArray[np.uint8], converted)
    return av.VideoFrame.from_ndarray(yuv, format="yuv420p")


class Vp8LayerEncoder:
    """libvpx for one layer; rebuilt (a keyframe) only on a size or large bitrate change."""

    def __init__(self) -> None:
        self._codec: VideoCodecContext | None = None
        self._size = (0, 0)
        self._bitrate = 0
        self._built_at = 0.0
        self._pts = 0
        self._last_input: int | None = None

    @property
    def bitrate(self) -> int:
        return self._bitrate

    def _needs_rebuild(self, width: int, height: int, bitrate: int, now: float) -> bool:
        if self._codec is None or (width, height) != self._size:
            return True
        since = now - self._built_at
        if bitrate < REBUILD_DOWN * self._bitrate:
            return since >= REBUILD_DOWN_EVERY_S
        if bitrate > REBUILD_UP * self._bitrate:
            return since >= REBUILD_UP_EVERY_S
        return False

    def _build(self, width: int, height: int, bitrate: int, now: float) -> None:
        codec = av.CodecContext.create("libvpx", "w")
        codec.width, codec.height = width, height
        codec.pix_fmt = "yuv420p"
        codec.bit_rate = bitrate
        codec.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        codec.gop_size = 3000  # keyframes only when asked (PLI) or rebuilt
        codec.qmin, codec.qmax = 2, 56
        codec.thread_count = 1
        codec.options = {
            "deadline": "realtime",
            "cpu-used": "-12" if height >= 540 else "-6",  # -12: half the CPU at 720p
            "lag-in-frames": "0",
            "bufsize": str(bitrate),
            "minrate": str(bitrate),
            "maxrate": str(bitrate),
            "undershoot-pct": "100",
            "overshoot-pct": "15",
            "static-thresh": "1",
            "partitions": "0",
            "max-intra-rate": "500",
            "drop-threshold": "25",
        }
        self._codec = codec
        self._pts = 0
        self._size = (width, height)
        self._bitrate = bitrate
        self._built_at = now

    def encode(
        self, picture: av.VideoFrame, bitrate: int, keyframe: bool, pts: int, max_gap: int
    ) -> tuple[bytes, bool, bool] | None:
        """(frame bytes, is keyframe, rebuilt) or None when libvpx dropped the frame."""
        now = time.monotonic()
        rebuilt = self._needs_rebuild(picture.width, picture.height, bitrate, now)
        if rebuilt:
            self._build(picture.width, picture.height, bitrate, now)
        assert self._codec is not None
        # libvpx's rate control refills its buffer by the time between frames: after frames
        # were skipped (a congested uplink) a real gap would let the next frame take up to
        # a second's worth of bits. The encoder's clock therefore moves at most
        # ``max_gap`` (four frame intervals) per frame; the RTP timestamps stay real.
        if self._last_input is None or rebuilt:
            step = 0
        else:
            step = min(max(pts - self._last_input, 1), max_gap)
        self._last_input = pts
        self._pts += step
        picture.pts = self._pts
        picture.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        picture.pict_type = PictureType.I if keyframe else PictureType.NONE
        packets = self._codec.encode(picture)
        data = b"".join(bytes(p) for p in packets)
        if not data:
            return None
        return data, any(p.is_keyframe for p in packets), rebuilt


def encode_layers(
    frame: VideoFrame, pts: int, jobs: list[LayerJob], encoders: list[Vp8LayerEncoder]
) -> list[LayerResult]:
    """Convert once, scale per layer, encode (run in the sender's worker thread)."""
    full = to_i420(frame)
    results = []
    for job in jobs:
        picture = full
        if (job.width, job.height) != (full.width, full.height):
            picture = full.reformat(width=job.width, height=job.height)
        max_gap = max(int(4 * VIDEO_CLOCK / max(job.fps, 1.0)), VIDEO_CLOCK // 4)
        out = encoders[job.index].encode(picture, job.bitrate, job.keyframe, pts, max_gap)
        if out is not None:
            results.append(LayerResult(job.index, out[0], out[1], out[2]))
    return results


def packetize_vp8(data: bytes, picture_id: int) -> list[bytes]:
    """RTP payloads of one VP8 frame (RFC 7741): a 15-bit picture id, equal-sized parts."""
    count = -(-len(data) // MAX_PAYLOAD)
    size = -(-len(data) // count)
    pid = bytes((0x80 | ((picture_id >> 8) & 0x7F), picture_id & 0xFF))
    payloads = []
    for index, start in enumerate(range(0, len(data), size)):
        first = 0x90 if index == 0 else 0x80  # X, plus S on the first packet
        payloads.append(bytes((first, 0x80)) + pid + data[start : start + size])
    return payloads

"""Video receivers that recover from outages and burst loss (issue 11, item 0).

After a UDP outage of a few seconds aiortc 1.16's video receiver stays frozen: its jitter
buffer keeps the incomplete frame from before the outage and asks for a keyframe only when
512 packets have piled up. :func:`install_video_recovery` puts lkdesk's
:class:`VideoFrameAssembler` (frame_assembler.py: drops frames that cannot complete,
re-NACKs, asks for keyframes as libwebrtc does) in place of that buffer for one receiver.

How it hooks in, per receiver (never the class, so audio and other receivers keep aiortc's
own code):

* the receiver's ``__jitter_buffer`` becomes a shim with the same ``add(packet)`` contract.
  aiortc calls it after RTX unwrapping, NACK generation and depacketisation; the shim feeds
  the assembler and puts every frame it completes on aiortc's decoder queue itself (aiortc
  would take one frame per packet), mapping timestamps with aiortc's own mapper. It answers
  "send a PLI" only when the assembler's rate limit allows;
* the receiver's ``__decoder_error`` event becomes a latch that aiortc's check never sees
  set: decoder errors reach the assembler (held frames, rate-limited PLI) instead of
  triggering one PLI each;
* ``_handle_rtp_packet`` is wrapped on the instance: it sends the assembler's NACK retries,
  and it re-installs the shim when lkdesk's m-line rebinding (``receivers.rebind_receiver``)
  replaced the jitter buffer for a new stream.

Audio is left alone. From aiortc's code (not measured here): its 16-packet audio buffer
also stops at a hole, but overflows after 16 more packets (about 0.3 s) and goes on, so
audio does not freeze; it may keep that extra delay.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import aioice
import aiortc
from aiortc import rtcrtpreceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from lkdesk.rtc.engine.adapt._pins import (
    SUPPORTED_AIOICE,
    SUPPORTED_AIORTC,
    require_attributes,
    require_names,
    require_version,
)
from lkdesk.rtc.engine.adapt.frame_assembler import (
    DEFAULT_RTT_S,
    AssemblerStats,
    PacketInfo,
    VideoFrameAssembler,
)
from lkdesk.rtc.engine.adapt.video_payload import info_for

logger = logging.getLogger(__name__)

_P = "_RTCRtpReceiver__"
_JITTER_BUFFER = _P + "jitter_buffer"
_DECODER_ERROR = _P + "decoder_error"
_DECODER_QUEUE = _P + "decoder_queue"
_DECODER_THREAD = _P + "decoder_thread"
_TIMESTAMP_MAPPER = _P + "timestamp_mapper"
_CODECS = _P + "codecs"
_KIND = _P + "kind"


def check_compatible() -> None:
    """Fail loudly if aiortc changed the receiver internals this module replaces."""
    require_version(aiortc, SUPPORTED_AIORTC)
    require_version(aioice, SUPPORTED_AIOICE)
    fields = (_JITTER_BUFFER, _DECODER_ERROR, _DECODER_QUEUE, _DECODER_THREAD)
    require_names(
        "aiortc RTCRtpReceiver.__init__",
        RTCRtpReceiver.__init__,
        (*fields, _TIMESTAMP_MAPPER, _CODECS, _KIND),
    )
    # The packet path the shim sits in: depacketise into packet._data, jitter_buffer.add()
    # returning (pli_flag, frame), the decoder-error check, PLI, the decoder queue.
    require_names(
        "aiortc RTCRtpReceiver._handle_rtp_packet",
        RTCRtpReceiver._handle_rtp_packet,
        (_JITTER_BUFFER, "add", _DECODER_ERROR, "is_set", "clear", "_send_rtcp_pli", "_data"),
    )
    require_names(
        "aiortc RTCRtpReceiver._handle_rtp_packet",
        RTCRtpReceiver._handle_rtp_packet,
        (_DECODER_QUEUE, _DECODER_THREAD, _TIMESTAMP_MAPPER, "map", "put"),
    )
    # The decoder thread is handed the error event when the receiver starts.
    require_names("aiortc RTCRtpReceiver.receive", RTCRtpReceiver.receive, (_DECODER_ERROR,))
    require_names("aiortc decoder_worker", rtcrtpreceiver.decoder_worker, ("set",))
    require_attributes(
        "aiortc RTCRtpReceiver",
        RTCRtpReceiver,
        ("_handle_rtp_packet", "_send_rtcp_nack", "_send_rtcp_pli"),
    )


class _DecoderErrorLatch:
    """Stands in for aiortc's decoder-error event: set by the decoder, read by us only.

    aiortc checks ``is_set()`` after every packet and sends a PLI per error; ours always
    says no and the recovery ``take()``s the error instead. A decoder thread started before
    installation still holds the original event, so that one is read too.
    """

    def __init__(self, original: threading.Event) -> None:
        self._original = original
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return False

    def clear(self) -> None:
        pass

    def take(self) -> bool:
        fired = self._event.is_set() or self._original.is_set()
        self._event.clear()
        self._original.clear()
        return fired


class _JitterShim:
    """aiortc's jitter-buffer contract (``add`` → (pli, frame)) in front of the assembler."""

    capacity = 512  # what aiortc's video buffer reports; nothing in aiortc reads it

    def __init__(self, recovery: VideoRecovery) -> None:
        self._recovery = recovery

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        return self._recovery._on_packet(packet), None


class VideoRecovery:
    """The recovery installed on one video receiver (see :func:`install_video_recovery`)."""

    def __init__(
        self, receiver: RTCRtpReceiver, *, rtt_s: float, clock: Callable[[], float]
    ) -> None:
        self._receiver = receiver
        self._clock = clock
        self._rtt_s = rtt_s
        self._assembler = VideoFrameAssembler(rtt_s=rtt_s)
        self._shim = _JitterShim(self)
        self._pending_nacks: list[int] = []
        self._media_ssrc = 0
        self._streams = 1
        self._codec = ""
        original: Any = getattr(receiver, _DECODER_ERROR)
        self._latch = (
            original if isinstance(original, _DecoderErrorLatch) else _DecoderErrorLatch(original)
        )
        setattr(receiver, _DECODER_ERROR, self._latch)
        setattr(receiver, _JITTER_BUFFER, self._shim)
        self._aiortc_handle = receiver._handle_rtp_packet
        # Shadow the method on this instance; the RTP router calls receiver._handle_rtp_packet.
        setattr(receiver, "_handle_rtp_packet", self._handle_rtp_packet)  # noqa: B010

    @property
    def stats(self) -> AssemblerStats:
        """Counters of the current stream (reset when an m-line is reused for a new one)."""
        return self._assembler.stats

    @property
    def codec(self) -> str:
        """Name of the codec the stream arrives in (e.g. "VP9"), "" before any packet."""
        return self._codec

    @property
    def streams(self) -> int:
        """How many streams this receiver carried (1 + m-line reuses seen)."""
        return self._streams

    def set_rtt(self, rtt_s: float) -> None:
        """Round-trip time to the media server (e.g. the signalling RTT), for NACK timing."""
        self._rtt_s = rtt_s
        self._assembler.set_rtt(rtt_s)

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        receiver = self._receiver
        if getattr(receiver, _JITTER_BUFFER) is not self._shim:
            # receivers.rebind_receiver reset the stream state for a new SSRC.
            self._assembler = VideoFrameAssembler(rtt_s=self._rtt_s)
            self._streams += 1
            setattr(receiver, _JITTER_BUFFER, self._shim)
        await self._aiortc_handle(packet, arrival_time_ms=arrival_time_ms)
        if self._pending_nacks:
            nacks, self._pending_nacks = self._pending_nacks, []
            await receiver._send_rtcp_nack(self._media_ssrc, nacks)

    def _on_packet(self, packet: RtpPacket) -> bool:
        """One depacketised packet from aiortc; True when a PLI should go out now."""
        receiver = self._receiver
        now = self._clock()
        if self._latch.take():
            self._assembler.decoder_failed(now)
        codecs: dict[int, Any] = getattr(receiver, _CODECS)
        codec = codecs.get(packet.payload_type)
        name = codec.name if codec is not None else ""
        self._codec = name
        info = PacketInfo(
            sequence_number=packet.sequence_number,
            timestamp=packet.timestamp,
            marker=bool(packet.marker),
            data=getattr(packet, "_data", b""),
            payload=info_for(name, packet.payload),
        )
        result = self._assembler.insert(info, now)
        self._media_ssrc = packet.ssrc
        if result.nacks:
            self._pending_nacks.extend(result.nacks)
        if result.frames and getattr(receiver, _DECODER_THREAD) is not None:
            mapper = getattr(receiver, _TIMESTAMP_MAPPER)
            queue = getattr(receiver, _DECODER_QUEUE)
            for frame in result.frames:
                encoded = JitterFrame(data=frame.data, timestamp=mapper.map(frame.timestamp))
                queue.put((codec, encoded))
        if result.request_keyframe:
            logger.debug("video receiver: requesting a keyframe")
        return result.request_keyframe


def install_video_recovery(
    receiver: RTCRtpReceiver,
    *,
    rtt_s: float = DEFAULT_RTT_S,
    clock: Callable[[], float] = time.monotonic,
) -> VideoRecovery:
    """Give ``receiver`` (a video receiver) lkdesk's loss recovery; idempotent.

    Works before or after aiortc starts the receiver. Call it when the subscriber PC's
    ``track`` event fires; nothing is needed after an m-line is reused for a new stream.
    """
    current = getattr(receiver._handle_rtp_packet, "__self__", None)
    if isinstance(current, VideoRecovery):
        return current
    kind = getattr(receiver, _KIND)
    if kind != "video":
        raise ValueError(f"video recovery is for video receivers, not {kind}")
    return VideoRecovery(receiver, rtt_s=rtt_s, clock=clock)

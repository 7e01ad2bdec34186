"""Figures aiortc 1.16 does not keep, measured at its seams, per receiver and per sender.

aiortc's ``getStats()`` has packets, loss and jitter but no received bytes, no frame
counts, sizes or codec times, and its receiver report names every SSRC of a receiver
with the same id, so with RTX the media stream's entry is overwritten by the
retransmission stream's. lkdesk therefore:

* reads each SSRC's own statistics (``__remote_streams``) and the payload types
  (``__codecs``) of a receiver;
* wraps the receiver's ``_handle_rtp_packet`` on the instance (never the class) to count
  payload bytes per SSRC and to measure interarrival jitter itself (aiortc's figure does
  not survive an RTP timestamp wrap or jump, see :class:`InterarrivalJitter`);
* wraps ``get`` of the receiver's decoder queue and ``put`` of its track's frame queue on
  the instances: both run in aiortc's decoder thread, right before and right after
  ``decoder.decode()``, so their difference is the decode time, and the frames put are
  the frames decoded (the queue objects themselves stay the same);
* wraps ``encode`` on the sender's encoder instance (rebuilt by aiortc on large bitrate
  changes, so it is wrapped again when it changes), which runs in an executor thread.

Each counter has one writer thread; readers on the loop may see a figure one frame old.
"""

from __future__ import annotations

import collections
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import aiortc
from aiortc import RTCRtpSender
from aiortc.rtcrtpreceiver import RTCRtpReceiver, StreamStatistics

from lkdesk.rtc.engine.adapt.version import AiortcIncompatibleError

_R = "_RTCRtpReceiver__"
_S = "_RTCRtpSender__"
FPS_WINDOW_S = 1.0


def check_compatible() -> None:
    """Fail loudly if the internals read or wrapped here changed."""
    if not aiortc.__version__.startswith("1.16."):
        raise AiortcIncompatibleError(
            f"media statistics are written for aiortc 1.16, not {aiortc.__version__}"
        )
    receiver_init = RTCRtpReceiver.__init__.__code__.co_names
    for name in ("remote_streams", "codecs", "rtx_ssrc", "decoder_queue", "started"):
        if _R + name not in receiver_init:
            raise AiortcIncompatibleError(f"aiortc RTCRtpReceiver has no '{name}' any more")
    if _S + "encoder" not in RTCRtpSender.__init__.__code__.co_names:
        raise AiortcIncompatibleError("aiortc RTCRtpSender has no __encoder any more")
    stream_fields = StreamStatistics.__init__.__code__.co_names
    for name in ("packets_received", "_clockrate"):
        if name not in stream_fields:
            raise AiortcIncompatibleError(f"aiortc StreamStatistics has no '{name}' any more")
    for prop in ("packets_lost", "jitter"):
        if not hasattr(StreamStatistics, prop):
            raise AiortcIncompatibleError(f"aiortc StreamStatistics has no '{prop}' any more")


class _FrameClock:
    """Frame times of the last second, for frames per second."""

    def __init__(self) -> None:
        self._times: collections.deque[float] = collections.deque(maxlen=240)

    def tick(self) -> None:
        self._times.append(time.monotonic())

    def fps(self) -> float:
        cutoff = time.monotonic() - FPS_WINDOW_S
        return float(sum(1 for t in list(self._times) if t >= cutoff)) / FPS_WINDOW_S


class InterarrivalJitter:
    """RFC 3550 interarrival jitter of one stream, in RTP clock units.

    aiortc's own figure subtracts RTP timestamps without wrapping them, so one timestamp
    jump (a wrap, or a server starting a stream anew) leaves it at thousands of seconds for
    hundreds of packets. Here timestamps wrap modulo 2**32 and, as libwebrtc does, a
    difference of more than 5 s of media is a discontinuity, not jitter.
    """

    MAX_STEP_S = 5.0

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self.value = 0.0
        self._last: tuple[float, int] | None = None  # arrival (s), RTP timestamp

    def add(self, arrival_s: float, timestamp: int) -> None:
        last = self._last
        if last is not None and timestamp == last[1]:
            return  # another packet of the same frame
        self._last = (arrival_s, timestamp)
        if last is None:
            return
        media = ((timestamp - last[1] + 2**31) % 2**32) - 2**31  # signed, wrap-safe
        if media <= 0 or media > self.MAX_STEP_S * self.clock_rate:
            return  # reordered, or a discontinuity
        d = abs((arrival_s - last[0]) * self.clock_rate - media)
        self.value += (d - self.value) / 16


@dataclass
class ReceiveCounters:
    """What one receiver got: bytes per SSRC, frames decoded, their size, decode time."""

    bytes_by_ssrc: dict[int, int] = field(default_factory=dict)
    jitter_by_ssrc: dict[int, InterarrivalJitter] = field(default_factory=dict)
    packets_by_ssrc: dict[int, int] = field(default_factory=dict)
    last_payload_type: int | None = None
    last_packet_at: float = 0.0  # time.time() of the last RTP packet
    frames_decoded: int = 0
    total_decode_time: float = 0.0
    frame_width: int = 0
    frame_height: int = 0
    clock: _FrameClock = field(default_factory=_FrameClock)
    _decode_started: float | None = None


@dataclass
class SendCounters:
    """What one video sender track sent: frames, their size, conversion and encode time."""

    frames_sent: int = 0
    frame_width: int = 0
    frame_height: int = 0
    total_conversion_time: float = 0.0
    frames_encoded: int = 0
    total_encode_time: float = 0.0
    clock: _FrameClock = field(default_factory=_FrameClock)
    _encoder: Any = None

    def frame_converted(self, width: int, height: int, seconds: float) -> None:
        self.frames_sent += 1
        self.frame_width, self.frame_height = width, height
        self.total_conversion_time += seconds
        self.clock.tick()


@dataclass(frozen=True, slots=True)
class SsrcFigures:
    """aiortc's own statistics of one received SSRC (jitter in RTP clock units)."""

    packets_received: int
    packets_lost: int
    jitter: int
    clock_rate: int


def watch_receiver(receiver: RTCRtpReceiver, track: Any) -> ReceiveCounters:
    """Start counting for ``receiver``; call before aiortc starts it (at the track event)."""
    counters = ReceiveCounters()
    handle = _unbound(receiver, "_handle_rtp_packet")
    codecs: dict[int, Any] = getattr(receiver, _R + "codecs")  # refilled in place on rebind

    async def counting(packet: Any, arrival_time_ms: int) -> None:
        ssrc = packet.ssrc
        counters.bytes_by_ssrc[ssrc] = counters.bytes_by_ssrc.get(ssrc, 0) + len(packet.payload)
        counters.packets_by_ssrc[ssrc] = counters.packets_by_ssrc.get(ssrc, 0) + 1
        counters.last_packet_at = time.time()
        codec = codecs.get(packet.payload_type)
        if codec is not None and codec.name.lower() != "rtx":
            counters.last_payload_type = packet.payload_type
            jitter = counters.jitter_by_ssrc.get(ssrc)
            if jitter is None:
                jitter = counters.jitter_by_ssrc[ssrc] = InterarrivalJitter(codec.clockRate)
            jitter.add(time.monotonic(), packet.timestamp)
        await handle(packet, arrival_time_ms=arrival_time_ms)

    receiver._handle_rtp_packet = counting  # type: ignore[method-assign]
    _time_decoder(getattr(receiver, _R + "decoder_queue"), track._queue, counters)
    return counters


def _unbound(owner: Any, name: str) -> Callable[..., Any]:
    """``owner.name`` without a strong reference to ``owner``.

    The wrapper is stored on ``owner`` itself; a bound method in its closure would make a
    reference cycle, so aiortc's objects would outlive ``close()`` until the cyclic
    collector ran, possibly in one of aiortc's threads. An earlier wrapper on the instance
    (another adaptation's) is kept and called.
    """
    earlier = owner.__dict__.get(name)
    if earlier is not None:
        return cast(Callable[..., Any], earlier)
    function = getattr(type(owner), name)
    ref = weakref.ref(owner)

    def call(*args: Any, **kwargs: Any) -> Any:
        target = ref()
        if target is None:
            raise ReferenceError(f"{name} called after its owner was collected")
        return function(target, *args, **kwargs)

    return call


def _time_decoder(inputs: Any, outputs: Any, counters: ReceiveCounters) -> None:
    take, give = _unbound(inputs, "get"), _unbound(outputs, "put")

    def timed_get(*args: Any, **kwargs: Any) -> Any:
        task = take(*args, **kwargs)
        counters._decode_started = time.perf_counter()
        return task

    def timed_put(frame: Any) -> Any:
        started, counters._decode_started = counters._decode_started, None
        if frame is not None:
            if started is not None:
                counters.total_decode_time += time.perf_counter() - started
            counters.frames_decoded += 1
            counters.frame_width = int(getattr(frame, "width", 0) or 0)
            counters.frame_height = int(getattr(frame, "height", 0) or 0)
            counters.clock.tick()
        return give(frame)

    inputs.get = timed_get
    outputs.put = timed_put


def receiver_ssrc_figures(receiver: RTCRtpReceiver) -> dict[int, SsrcFigures]:
    """Per-SSRC packets, loss and jitter as aiortc counts them (RTX SSRCs included)."""
    streams: dict[int, Any] = dict(getattr(receiver, _R + "remote_streams"))
    return {
        ssrc: SsrcFigures(s.packets_received, s.packets_lost, s.jitter, s._clockrate)
        for ssrc, s in streams.items()
    }


def receiver_rtx_ssrcs(receiver: RTCRtpReceiver) -> dict[int, int]:
    """RTX SSRC → the media SSRC it repairs."""
    return dict(getattr(receiver, _R + "rtx_ssrc"))


def receiver_codec(receiver: RTCRtpReceiver, payload_type: int | None) -> Any:
    """The negotiated codec parameters for ``payload_type`` (None if unknown)."""
    codecs: dict[int, Any] = getattr(receiver, _R + "codecs")
    return codecs.get(payload_type) if payload_type is not None else None


def negotiated_codecs(transceiver: Any) -> list[Any]:
    """The codecs negotiated for a transceiver's m-line, preferred first."""
    return list(getattr(transceiver, "_codecs", []))


def time_encoder(sender: RTCRtpSender, counters: SendCounters) -> None:
    """Time each ``encode`` of the sender's current encoder (wrap a new one when it changes)."""
    encoder = getattr(sender, _S + "encoder", None)
    if encoder is None or (counters._encoder is not None and encoder is counters._encoder()):
        return
    counters._encoder = weakref.ref(encoder)
    encode = _unbound(encoder, "encode")

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = encode(*args, **kwargs)
        counters.total_encode_time += time.perf_counter() - started
        counters.frames_encoded += 1
        return result

    encoder.encode = timed

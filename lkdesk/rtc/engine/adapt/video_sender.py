"""lkdesk's video sender: simulcast layers on one m-line, paced, with TWCC numbers.

aiortc 1.16's ``RTCRtpSender`` sends one encoding (aiortc#676), writes every frame's
packets to the socket at once, and follows REMB, which the LiveKit server does not send to
publishers. :class:`LayeredVideoSender` takes its place on a video transceiver (the
transceiver's private ``__sender`` is swapped before the first negotiation) and keeps
aiortc's SDP side (SSRC, msid, codecs, mid) while doing its own sending:

* each layer (:mod:`layer_stream`) has its own SSRC, RTX SSRC, VP8 encoder, sequence
  numbers and sender reports; packets carry the mid and RID extensions, RTX packets the
  repaired RID, as browsers send RID simulcast;
* every packet goes through the connection's pacer (:mod:`bandwidth`), which stamps the
  transport-wide sequence number the server's TWCC feedback refers to;
* NACKs are answered from the layer's history, PLI/FIR force a keyframe on that layer;
* the bitrate, frame rate and which layers run come from the connection's estimate and the
  server's subscribed-quality updates (dynacast): a layer nobody watches is not encoded.

Encoders run in one worker thread per sender (video_encoding.py), never on the loop and
never in the default executor aiortc's audio encoder uses. When the answer picks a codec
other than VP8, the sender falls back to aiortc's own single-layer sending, with a log line.

Encoded-frame transforms (end-to-end encryption) hook in per layer with
:meth:`LayeredVideoSender.set_frame_transform`: each layer's whole VP8 frame passes through
it after encoding and before packetisation, in the sender's encoder thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiortc import RTCRtpSender
from aiortc.codecs import is_rtx
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpSendParameters
from aiortc.rtp import (
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    HeaderExtensionsMap,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSdesPacket,
    RtcpSourceInfo,
    RtcpSrPacket,
    RtpPacket,
)

from lkdesk.core.frames import VideoFrame
from lkdesk.rtc.engine.adapt import simulcast_sdp
from lkdesk.rtc.engine.adapt.bandwidth import UplinkController
from lkdesk.rtc.engine.adapt.layer_stream import LayerStream, serialize
from lkdesk.rtc.engine.congestion.allocation import Allocator, Degradation, LayerSpec
from lkdesk.rtc.engine.congestion.pacer import (
    BASE,
    MEDIA,
    OVERHEAD,
    PADDING,
    RETRANSMISSION,
    Outgoing,
)
from lkdesk.rtc.engine.media_tracks import SourceVideoTrack
from lkdesk.rtc.engine.video_encoding import (
    EncodedFrame,
    FrameTransform,
    LayerJob,
    LayerResult,
    Vp8LayerEncoder,
    encode_layers,
    packetize_vp8,
)

logger = logging.getLogger(__name__)

#: Skip frames while the pacer holds more than this (the uplink cannot keep up). Not much
#: lower: each skipped frame makes the next one costlier (more changed since the last).
MAX_BACKLOG_S = 0.5
SR_INTERVAL_S = 1.0


class LayeredVideoSender(RTCRtpSender):
    """Sends a :class:`SourceVideoTrack` as 1–3 VP8 layers (see the module docstring)."""

    def __init__(
        self,
        track: SourceVideoTrack,
        original: RTCRtpSender,
        layers: list[LayerSpec],
        uplink: UplinkController,
        degradation: Degradation,
    ) -> None:
        super().__init__(track, original.transport)
        self._ssrc, self._rtx_ssrc = original._ssrc, original._rtx_ssrc
        self._stream_id = original._stream_id
        self.uplink = uplink
        self.allocator = Allocator(layers, degradation)
        self.layers = [
            LayerStream(spec, random.getrandbits(32), random.getrandbits(32)) for spec in layers
        ]
        self.layers[0].ssrc, self.layers[0].rtx_ssrc = self._ssrc, self._rtx_ssrc
        self._encoders = [Vp8LayerEncoder() for _ in layers]
        self._executor: ThreadPoolExecutor | None = None
        self._extensions = HeaderExtensionsMap()
        self._negotiated: simulcast_sdp.Negotiated | None = None
        self._parameters: RTCRtpSendParameters | None = None
        self._payload_type = 0
        self._rtx_payload_type: int | None = None
        self._mid: str | None = None
        self._cname = ""
        self._tasks: list[asyncio.Task[None]] = []
        self._transform: FrameTransform | None = None
        self._timestamp_origin = random.getrandbits(32)
        self.fallback_reason = ""
        self.skipped_frames = 0
        self._running = False

    # ----- configuration -------------------------------------------------------------------

    @property
    def rids(self) -> tuple[str, ...]:
        return tuple(layer.rid for layer in self.layers)

    def set_frame_transform(self, transform: FrameTransform | None) -> None:
        """Run ``transform`` on each layer's encoded frame before packetisation."""
        self._transform = transform

    def accept_answer(self, negotiated: simulcast_sdp.Negotiated | None) -> None:
        """What the server accepted; fewer layers than offered means one layer."""
        self._negotiated = negotiated
        if negotiated is None:
            return
        if self._running:
            self._configure_extensions(self._parameters)  # the ids in force are the answer's
            return
        if negotiated.codec not in ("", "vp8"):
            return  # send() hands over to aiortc's own encoder for that codec
        if len(self.layers) > 1 and negotiated.rids != self.rids:
            self._single_layer(f"the server accepted layers {negotiated.rids or 'none'}")

    def _single_layer(self, why: str) -> None:
        logger.warning("video: falling back to one layer: %s", why)
        self.fallback_reason = why
        top = self.layers[-1]
        spec = LayerSpec("", 2, top.spec.width, top.spec.height, top.spec.max_bps,
                         top.spec.min_bps, top.spec.max_fps)  # fmt: skip
        self.layers = [LayerStream(spec, self._ssrc, self._rtx_ssrc)]
        self.allocator = Allocator([spec], self.allocator.degradation)
        self._encoders = [Vp8LayerEncoder()]

    def set_wanted_qualities(self, wanted: dict[int, bool]) -> None:
        """The server's subscribed-quality update: which qualities anyone watches."""
        for layer in self.layers:
            now = wanted.get(layer.spec.quality, layer.wanted)
            if now and not layer.wanted:
                layer.keyframe_wanted = True
            layer.wanted = now
        self.uplink.reallocate()

    def wanted_flags(self) -> list[bool]:
        return [layer.wanted for layer in self.layers]

    def max_bps(self) -> int:
        return self.allocator.max_bps(self.wanted_flags()) if self._running else 0

    def min_bps(self) -> int:
        wanted = [layer.spec.min_bps for layer in self.layers if layer.wanted]
        return wanted[0] if wanted else 0

    def apply_budget(self, bps: int) -> None:
        plans = self.allocator.allocate(bps, self.wanted_flags())
        for layer, plan in zip(self.layers, plans, strict=True):
            if plan.active and not layer.plan.active:
                layer.keyframe_wanted = True
            elif layer.plan.active and not (plan.active and layer.wanted):
                self.uplink.pacer.discard(layer)  # its queued frames would only crowd the path
            layer.plan = plan

    # ----- aiortc's sender interface -----------------------------------------------------

    async def send(self, parameters: RTCRtpSendParameters) -> None:
        if self._running:
            return
        codec = parameters.codecs[0]
        if codec.mimeType.lower() != "video/vp8":
            self.fallback_reason = f"the server chose {codec.mimeType}"
            logger.warning("video: %s; sending one layer with aiortc's encoder", codec.mimeType)
            await super().send(parameters)
            return
        self._running = True
        self._payload_type = codec.payloadType or 0
        for candidate in parameters.codecs:
            if is_rtx(candidate) and candidate.parameters.get("apt") == codec.payloadType:
                self._rtx_payload_type = candidate.payloadType
        self._mid = parameters.muxId
        self._cname = parameters.rtcp.cname or ""
        self._parameters = parameters
        self._configure_extensions(parameters)
        self.transport._register_rtp_sender(self, parameters)
        for layer in self.layers:
            self.transport._rtp_router.register_sender(self, layer.ssrc)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="lkdesk-video-encode")
        self.uplink.add_sender(self)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._run_video(), name="video-sender"),
            loop.create_task(self._run_reports(), name="video-sender-rtcp"),
        ]

    def _configure_extensions(self, parameters: RTCRtpSendParameters | None) -> None:
        if parameters is None:
            return
        found = list(parameters.headerExtensions)
        if self._negotiated is not None:
            for uri, ident in self._negotiated.extensions.items():
                if uri in simulcast_sdp._OURS:
                    found.append(RTCRtpHeaderExtensionParameters(id=ident, uri=uri))
        extensions = HeaderExtensionsMap()
        extensions.configure(RTCRtpSendParameters(headerExtensions=found))
        self._extensions = extensions

    @property
    def transport_cc(self) -> bool:
        return self._negotiated is not None and self._negotiated.transport_cc

    def detach(self) -> None:
        """The track was unpublished: stop encoding and leave the uplink's share-out."""
        self.uplink.remove_sender(self)
        for task in self._tasks:
            task.cancel()

    async def stop(self) -> None:
        self.uplink.remove_sender(self)
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if not self._running:
            await super().stop()  # aiortc's own sending (the fallback), if it ran
            return
        self._running = False
        self.transport._unregister_rtp_sender(self)
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def _handle_rtcp_packet(self, packet: AnyRtcpPacket) -> None:
        if not self._running:
            await super()._handle_rtcp_packet(packet)
            return
        by_ssrc = {layer.ssrc: layer for layer in self.layers}
        if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
            for report in packet.reports:
                layer = by_ssrc.get(report.ssrc)
                rtt = layer.round_trip(report.lsr, report.dlsr) if layer else None
                if rtt is not None:
                    self.uplink.set_rtt(rtt)
        elif isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            layer = by_ssrc.get(packet.media_ssrc)
            if layer is not None:
                layer.counters.nacks += 1
                if layer.plan.active and layer.wanted:  # else the server has moved on
                    self._resend(layer, packet.lost)
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
            layer = by_ssrc.get(packet.media_ssrc)
            for target in [layer] if layer is not None else self.layers:
                target.keyframe_wanted = True
                target.counters.plis += 1

    async def getStats(self) -> Any:
        """aiortc's report; per-layer figures are in :meth:`layer_stats`."""
        return await super().getStats()

    def layer_stats(self) -> list[dict[str, Any]]:
        return [layer.report() for layer in self.layers]

    # ----- sending -----------------------------------------------------------------------

    def _enqueue(self, layer: LayerStream, packet: RtpPacket, priority: int) -> None:
        def emit(twcc_seq: int) -> Any:
            data = serialize(packet, self._extensions, twcc_seq if self.transport_cc else None)
            if priority in (BASE, MEDIA):
                layer.counters.packets_sent += 1
                layer.counters.bytes_sent += len(packet.payload)
            else:
                layer.counters.retransmitted_bytes += len(packet.payload)
            return self.transport._send_rtp(data)

        owner = layer if priority in (BASE, MEDIA) else None
        self.uplink.pacer.enqueue(Outgoing(len(packet.payload) + OVERHEAD, emit, priority, owner))

    def _resend(self, layer: LayerStream, lost: list[int]) -> None:
        gap = self.uplink.rtt_s() + 0.02  # once per round trip, as libwebrtc
        for sequence in lost:
            rtx = layer.retransmission(sequence & 0xFFFF, self._rtx_payload_type, gap)
            if rtx is None:
                continue
            if not self.uplink.allow_retransmission(len(rtx.payload) + OVERHEAD):
                return  # over the retransmission budget: let the receiver ask for a keyframe
            self._enqueue(layer, rtx, RETRANSMISSION)

    def padding(self, size: int) -> Outgoing | None:
        """A probe packet from the highest running layer (its packets are the largest;
        None when nothing was sent yet)."""
        for layer in reversed(self.layers):
            if layer.plan.active and layer.wanted:
                packet = layer.padding(size, self._rtx_payload_type)
                if packet is None:
                    return None

                def emit(twcc_seq: int, packet: RtpPacket = packet) -> Any:
                    data = serialize(packet, self._extensions, twcc_seq)
                    return self.transport._send_rtp(data)

                return Outgoing(len(packet.payload) + OVERHEAD, emit, PADDING)
        return None

    async def _run_video(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            track = self.track
            if not isinstance(track, SourceVideoTrack) or not self._enabled:
                await asyncio.sleep(0.05)
                continue
            frame, stamp_us, pts = await track.next_frame()
            jobs = self._jobs(frame.width, frame.height, stamp_us)
            if self.uplink.pacer.backlog_s() > MAX_BACKLOG_S:
                # The uplink cannot keep up: only the smallest layer goes on (it leaves
                # first), and only while its own packets are not stuck too.
                base_late = self.uplink.pacer.backlog_s(BASE) > MAX_BACKLOG_S
                kept = [] if base_late or len(self.layers) == 1 else jobs[:1]
                kept = [j for j in kept if j.index == 0]
                self.skipped_frames += len(jobs) - len(kept)
                jobs = kept
            if not jobs:
                continue
            timestamp = (self._timestamp_origin + pts) & 0xFFFFFFFF
            ids = [(layer.rid, layer.ssrc) for layer in self.layers]
            results, seconds = await loop.run_in_executor(
                self._executor, self._encode, frame, pts, jobs, timestamp, ids
            )
            track.counters.frame_converted(frame.width, frame.height, 0.0)
            track.counters.frames_encoded += 1
            track.counters.total_encode_time += seconds
            captured_at = stamp_us / 1_000_000
            for result, data in results:
                layer = self.layers[result.index]
                self._send_frame(layer, result, data, timestamp, captured_at)

    def _encode(
        self,
        frame: VideoFrame,
        pts: int,
        jobs: list[LayerJob],
        timestamp: int,
        ids: list[tuple[str, int]],
    ) -> tuple[list[tuple[LayerResult, bytes | None]], float]:
        """In the encoder thread: each layer's frame, through the transform (encryption)."""
        started = time.perf_counter()
        results = encode_layers(frame, pts, jobs, self._encoders)
        transform = self._transform
        out: list[tuple[LayerResult, bytes | None]] = []
        for result in results:
            data: bytes | None = result.data
            if transform is not None:
                rid, ssrc = ids[result.index]
                data = transform(EncodedFrame(rid, ssrc, timestamp, result.keyframe, result.data))
            out.append((result, data))
        return out, time.perf_counter() - started

    def _jobs(self, width: int, height: int, stamp_us: int) -> list[LayerJob]:
        jobs = []
        for index, layer in enumerate(self.layers):
            if not layer.takes(stamp_us):
                continue
            spec, plan = layer.spec, layer.plan
            scale = min(spec.width / width, spec.height / height, 1.0) * plan.scale
            w, h = max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)
            jobs.append(LayerJob(index, w, h, plan.bitrate, layer.keyframe_wanted, plan.fps))
            layer.keyframe_wanted = False
        return jobs

    def _send_frame(
        self,
        layer: LayerStream,
        result: LayerResult,
        data: bytes | None,
        timestamp: int,
        captured_at: float,
    ) -> None:
        layer.counters.frames_encoded += 1
        layer.counters.keyframes += int(result.keyframe)
        layer.counters.encoder_rebuilds += int(result.rebuilt)
        budget = layer.plan.bitrate / 8 / max(layer.plan.fps, 1.0)
        if len(result.data) > 8 * budget:
            logger.debug(
                "layer %s: a %d-byte frame (key %s, rebuilt %s) for %d bytes a frame",
                layer.rid or "-", len(result.data), result.keyframe, result.rebuilt, budget,
            )  # fmt: skip
        if not data:
            return
        payloads = packetize_vp8(data, layer.picture_id)
        priority = BASE if len(self.layers) > 1 and layer is self.layers[0] else MEDIA
        packets = layer.media_packets(
            payloads, self._payload_type, timestamp, self._mid, captured_at
        )
        for packet in packets:
            self._enqueue(layer, packet, priority)

    async def _run_reports(self) -> None:
        while True:
            await asyncio.sleep(SR_INTERVAL_S * (0.5 + random.random()))
            packets: list[AnyRtcpPacket] = []
            for layer in self.layers:
                report = layer.sender_report()
                if report is None:
                    continue
                packets.append(report)
                chunk = RtcpSourceInfo(ssrc=layer.ssrc, items=[(1, self._cname.encode())])
                packets.append(RtcpSdesPacket(chunks=[chunk]))
            if packets:
                with contextlib.suppress(ConnectionError):
                    await self.transport._send_rtp(b"".join(bytes(p) for p in packets))

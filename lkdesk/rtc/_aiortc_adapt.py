"""The one place lkdesk reaches into aiortc internals. Written for aiortc 1.16.x only.

Two adaptations, both found against the real server:

1. aiortc starts RTP receivers in a fire-and-forget ``__connect()`` task that skips any
   transceiver negotiated while DTLS is still handshaking. The server's second offer (the
   first media m-line) routinely lands in that window, and the receiver then never starts.
   :func:`start_idle_receivers` runs that step again once connected; every step of it is
   idempotent in 1.16 (ICE/DTLS/SCTP start and RTP send/receive check "already started").
2. LiveKit's server reuses an idle subscriber m-line for a new track by giving the same
``mid`` a new SSRC (PROTOCOL_NOTES §4.3). aiortc 1.16 registers a receiver's SSRCs only the
first time it starts, and routes unknown SSRCs only by a payload type no other receiver
uses, so with several VP8 subscriptions the new stream's packets are dropped. After each
remote offer we therefore point the new SSRCs at the receiver and reset the per-stream
state (jitter buffer, NACK history, timestamp origin) that belonged to the old stream.

``check_compatible()`` runs at import of the engine and fails loudly when aiortc changes
under us; tests/unit/test_aiortc_adapt.py pins the same facts.
"""

from __future__ import annotations

import logging
from typing import Any

import aiortc
from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rate import RemoteBitrateEstimator
from aiortc.rtcrtpreceiver import NackGenerator, RTCRtpReceiver, TimestampMapper
from aiortc.rtcsctptransport import RTCSctpTransport

logger = logging.getLogger(__name__)

SUPPORTED_AIORTC = "1.16."
_RECEIVER_FIELDS = (
    "codecs",
    "rtx_ssrc",
    "started",
    "jitter_buffer",
    "nack_generator",
    "remote_bitrate_estimator",
    "timestamp_mapper",
    "kind",
)


class AiortcIncompatibleError(RuntimeError):
    """The installed aiortc is not the version this adaptation was written for."""


def _private(_receiver: RTCRtpReceiver, field: str) -> str:
    return f"_RTCRtpReceiver__{field}"


def check_compatible() -> None:
    """Fail if aiortc is not 1.16.x or lacks the internals patched below."""
    version = getattr(aiortc, "__version__", "?")
    if not version.startswith(SUPPORTED_AIORTC):
        raise AiortcIncompatibleError(
            f"lkdesk's aiortc adaptation is written for aiortc {SUPPORTED_AIORTC}x, found {version}"
        )
    if "_RTCRtpSender__encoder" not in RTCRtpSender.__init__.__code__.co_names:
        raise AiortcIncompatibleError("aiortc RTCRtpSender has no __encoder any more")
    if not hasattr(RTCPeerConnection, "_RTCPeerConnection__connect"):
        raise AiortcIncompatibleError("aiortc RTCPeerConnection has no __connect any more")
    sctp_fields = RTCSctpTransport.__init__.__code__.co_names
    for field in ("_sent_queue", "_outbound_queue", "_data_channel_queue"):
        if field not in sctp_fields:
            raise AiortcIncompatibleError(f"aiortc RTCSctpTransport has no '{field}' any more")
    probe = RTCRtpReceiver.__init__.__code__.co_names
    for field in _RECEIVER_FIELDS:
        if f"_RTCRtpReceiver__{field}" not in probe:
            raise AiortcIncompatibleError(f"aiortc RTCRtpReceiver has no '{field}' any more")


async def start_idle_receivers(pc: RTCPeerConnection) -> None:
    """Start receivers (and senders) aiortc skipped; only call when the PC is connected."""
    if pc.connectionState == "connected":
        await pc._RTCPeerConnection__connect()  # type: ignore[attr-defined]


def clamp_encoder_bitrate(sender: Any, max_bps: int) -> None:
    """Keep a sender's encoder target at or below ``max_bps`` (REMB may raise it).

    Called right before each frame is encoded, so the encoder never sees the higher value
    and is not rebuilt. aiortc's VP8 encoder cannot go below 250 kbps.
    """
    encoder = getattr(sender, "_RTCRtpSender__encoder", None)
    if encoder is not None and getattr(encoder, "target_bitrate", 0) > max_bps:
        encoder.target_bitrate = max_bps


_SCTP_DCEP = 50  # DCEP control messages share the stream; they are not user data
_SCTP_LAST_FRAGMENT = 0x01


def undelivered_messages(channel: Any) -> int:
    """How many of the newest user messages sent on ``channel`` the peer has not acknowledged.

    On a reliable ordered channel SCTP acknowledges cumulatively, so the unacknowledged
    messages are always the newest ones: those still queued for the channel plus those whose
    last fragment is queued or in flight above the cumulative acknowledgement. Chunks acked
    only by a gap block are not yet delivered in order, so they count as undelivered.
    """
    sctp = channel.transport
    stream = channel.id
    queued = sum(
        1
        for queued_channel, protocol, _ in sctp._data_channel_queue
        if queued_channel is channel and protocol != _SCTP_DCEP
    )
    in_flight = sum(
        1
        for chunks in (sctp._sent_queue, sctp._outbound_queue)
        for chunk in chunks
        if chunk.stream_id == stream
        and chunk.protocol != _SCTP_DCEP
        and chunk.flags & _SCTP_LAST_FRAGMENT
    )
    return int(queued + in_flight)


def receiver_ssrcs(receiver: RTCRtpReceiver) -> set[int]:
    """The SSRCs aiortc's router currently sends to ``receiver``."""
    router = receiver.transport._rtp_router
    return {ssrc for ssrc, target in router.ssrc_table.items() if target is receiver}


def rebind_receiver(
    receiver: RTCRtpReceiver,
    *,
    ssrc: int,
    rtx_ssrc: int | None,
    codecs: list[Any],
) -> bool:
    """Route ``ssrc`` (and its RTX) to ``receiver`` after an m-line was reused.

    Returns True when the receiver was moved to a new stream. Does nothing for a receiver
    aiortc has not started yet (aiortc registers the first stream itself).
    """
    if not getattr(receiver, _private(receiver, "started")):
        return False
    router = receiver.transport._rtp_router
    old = receiver_ssrcs(receiver)
    wanted = {ssrc} | ({rtx_ssrc} if rtx_ssrc is not None else set())
    if wanted <= old:
        return False
    for stale in old - wanted:
        router.ssrc_table.pop(stale, None)
    for new in wanted:
        router.ssrc_table[new] = receiver
    codec_map: dict[int, Any] = getattr(receiver, _private(receiver, "codecs"))
    codec_map.clear()
    for codec in codecs:
        codec_map[codec.payloadType] = codec
        router.payload_type_table.setdefault(codec.payloadType, set()).add(receiver)
    rtx_map: dict[int, int] = getattr(receiver, _private(receiver, "rtx_ssrc"))
    rtx_map.clear()
    if rtx_ssrc is not None:
        rtx_map[rtx_ssrc] = ssrc
    _reset_stream_state(receiver)
    logger.debug("receiver moved to ssrc %d (rtx %s)", ssrc, rtx_ssrc)
    return True


def _reset_stream_state(receiver: RTCRtpReceiver) -> None:
    kind = getattr(receiver, _private(receiver, "kind"))
    if kind == "audio":
        setattr(
            receiver, _private(receiver, "jitter_buffer"), JitterBuffer(capacity=16, prefetch=4)
        )
    else:
        setattr(
            receiver, _private(receiver, "jitter_buffer"), JitterBuffer(capacity=512, is_video=True)
        )
        setattr(receiver, _private(receiver, "nack_generator"), NackGenerator())
        setattr(receiver, _private(receiver, "remote_bitrate_estimator"), RemoteBitrateEstimator())
    setattr(receiver, _private(receiver, "timestamp_mapper"), TimestampMapper())

"""Receivers that aiortc 1.16 leaves idle or deaf, both found against the real server:

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
"""

from __future__ import annotations

import logging
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rate import RemoteBitrateEstimator
from aiortc.rtcrtpreceiver import NackGenerator, RTCRtpReceiver, TimestampMapper

logger = logging.getLogger(__name__)


def _private(field: str) -> str:
    """The name-mangled attribute of aiortc's ``RTCRtpReceiver.__<field>``."""
    return f"_RTCRtpReceiver__{field}"


async def start_idle_receivers(pc: RTCPeerConnection) -> None:
    """Start receivers (and senders) aiortc skipped; only call when the PC is connected."""
    if pc.connectionState == "connected":
        await pc._RTCPeerConnection__connect()  # type: ignore[attr-defined]


def receiver_ssrcs(receiver: RTCRtpReceiver) -> set[int]:
    """The SSRCs aiortc's router currently sends to ``receiver``."""
    router = receiver.transport._rtp_router
    return {ssrc for ssrc, target in router.ssrc_table.items() if target is receiver}


def rebind_receiver(transceiver: Any, *, ssrc: int, rtx_ssrc: int | None) -> bool:
    """Route ``ssrc`` (and its RTX) to the transceiver's receiver after an m-line was reused.

    Returns True when the receiver was moved to a new stream. Does nothing for a receiver
    aiortc has not started yet (aiortc registers the first stream itself).
    """
    receiver: RTCRtpReceiver = transceiver.receiver
    codecs: list[Any] = list(transceiver._codecs)  # the negotiated codecs of the m-line
    if not getattr(receiver, _private("started")):
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
    codec_map: dict[int, Any] = getattr(receiver, _private("codecs"))
    codec_map.clear()
    for codec in codecs:
        codec_map[codec.payloadType] = codec
        router.payload_type_table.setdefault(codec.payloadType, set()).add(receiver)
    rtx_map: dict[int, int] = getattr(receiver, _private("rtx_ssrc"))
    rtx_map.clear()
    if rtx_ssrc is not None:
        rtx_map[rtx_ssrc] = ssrc
    _reset_stream_state(receiver)
    logger.debug("receiver moved to ssrc %d (rtx %s)", ssrc, rtx_ssrc)
    return True


def _reset_stream_state(receiver: RTCRtpReceiver) -> None:
    kind = getattr(receiver, _private("kind"))
    if kind == "audio":
        setattr(
            receiver, _private("jitter_buffer"), JitterBuffer(capacity=16, prefetch=4)
        )
    else:
        setattr(
            receiver, _private("jitter_buffer"), JitterBuffer(capacity=512, is_video=True)
        )
        setattr(receiver, _private("nack_generator"), NackGenerator())
        setattr(receiver, _private("remote_bitrate_estimator"), RemoteBitrateEstimator())
    setattr(receiver, _private("timestamp_mapper"), TimestampMapper())

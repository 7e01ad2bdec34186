"""Receive VP9 and AV1: aiortc 1.16 negotiates, depacketises and decodes VP8 and H.264 only.

LiveKit Meet publishes VP9 and livekit-client can publish AV1; without these lkdesk saw
such a camera only when its publisher also sent a VP8 backup. :func:`install_receive_codecs`
(once per process, idempotent; the subscriber calls it when the engine is imported) changes
three module-level names of aiortc, never a class:

* ``aiortc.codecs.CODECS["video"]`` gains VP9 and AV1, each with RTX and the same RTCP
  feedback as aiortc's VP8, so a server offer with them is answered (aiortc matches the
  offer against this table) and ``sdp_tools`` no longer rejects such m-lines;
* ``aiortc.rtcrtpreceiver.depayload`` (called per packet by ``RTCRtpReceiver``) sends VP9
  and AV1 payloads to rtp_vp9.py / rtp_av1.py and everything else to aiortc's function;
* ``aiortc.rtcrtpreceiver.get_decoder`` (called by aiortc's decoder thread) returns
  video_decoders.py's VP9/AV1 decoders and aiortc's own for everything else.

Only codecs the installed PyAV can decode are registered. They are receive-only:
:func:`can_send` keeps lkdesk's publisher from offering them (aiortc has no encoder).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import aiortc
from aiortc import RTCPeerConnection, rtcrtpreceiver
from aiortc import codecs as aiortc_codecs
from aiortc.codecs.base import Decoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver

from lkdesk.rtc.engine.adapt._pins import (
    SUPPORTED_AIORTC,
    AdaptationIncompatibleError,
    require_names,
    require_version,
)
from lkdesk.rtc.engine.adapt.rtp_av1 import av1_depayload
from lkdesk.rtc.engine.adapt.rtp_vp9 import MalformedPayload, vp9_depayload
from lkdesk.rtc.engine.adapt.video_decoders import (
    AV1_DECODER,
    VP9_DECODER,
    Av1Decoder,
    Vp9Decoder,
    decoder_available,
)

logger = logging.getLogger(__name__)

CLOCK_RATE = 90_000
#: codec name → (PyAV decoder, depacketiser, decoder factory), in the order registered.
RECEIVE_ONLY: dict[str, tuple[str, Callable[[bytes], bytes], Callable[[], Decoder]]] = {
    "VP9": (VP9_DECODER, vp9_depayload, Vp9Decoder),
    "AV1": (AV1_DECODER, av1_depayload, Av1Decoder),
}

_DEPAYLOAD = "depayload"
_GET_DECODER = "get_decoder"
_installed: tuple[str, ...] | None = None


def check_compatible() -> None:
    """Fail loudly if aiortc no longer calls the names this module replaces."""
    require_version(aiortc, SUPPORTED_AIORTC)
    require_names("aiortc decoder_worker", rtcrtpreceiver.decoder_worker, (_GET_DECODER,))
    require_names(
        "aiortc RTCRtpReceiver._handle_rtp_packet",
        RTCRtpReceiver._handle_rtp_packet,
        (_DEPAYLOAD,),
    )
    require_names(
        "aiortc RTCPeerConnection.setRemoteDescription",
        RTCPeerConnection.setRemoteDescription,
        ("CODECS", "find_common_codecs"),
    )
    if not isinstance(aiortc_codecs.CODECS.get("video"), list):
        raise AdaptationIncompatibleError("aiortc.codecs.CODECS has no video list any more")


def install_receive_codecs() -> tuple[str, ...]:
    """Register the receive-only codecs PyAV can decode; return their names (e.g. "VP9")."""
    global _installed
    if _installed is not None:
        return _installed
    check_compatible()
    names = tuple(
        name for name, (decoder, _, _) in RECEIVE_ONLY.items() if decoder_available(decoder)
    )
    video: list[RTCRtpCodecParameters] = aiortc_codecs.CODECS["video"]
    vp8 = next(c for c in video if c.name.upper() == "VP8")
    payload_type = max(int(c.payloadType or 0) for c in video) + 1
    for name in names:
        video.append(
            RTCRtpCodecParameters(
                mimeType=f"video/{name}",
                clockRate=CLOCK_RATE,
                payloadType=payload_type,
                rtcpFeedback=list(vp8.rtcpFeedback),
            )
        )
        video.append(
            RTCRtpCodecParameters(
                mimeType="video/rtx",
                clockRate=CLOCK_RATE,
                payloadType=payload_type + 1,
                parameters={"apt": payload_type},
            )
        )
        payload_type += 2
    # The names aiortc's receiver module resolves at call time (imported from aiortc.codecs).
    setattr(rtcrtpreceiver, _DEPAYLOAD, _depayload_with(getattr(rtcrtpreceiver, _DEPAYLOAD)))
    setattr(rtcrtpreceiver, _GET_DECODER, _get_decoder_with(getattr(rtcrtpreceiver, _GET_DECODER)))
    _installed = names
    logger.info("receiving %s besides aiortc's codecs", ", ".join(names) or "nothing")
    return names


def receivable_mime_types() -> frozenset[str]:
    """Lower-case mime types of the installed receive-only codecs ("video/vp9", …)."""
    return frozenset(f"video/{name.lower()}" for name in install_receive_codecs())


def can_send(codec_name: str) -> bool:
    """False for a codec lkdesk can only receive (aiortc has no encoder for it)."""
    return codec_name.upper() not in RECEIVE_ONLY


def _depayload_with(
    aiortc_depayload: Callable[[Any, bytes], bytes],
) -> Callable[[Any, bytes], bytes]:
    def depayload(codec: Any, payload: bytes) -> bytes:
        entry = RECEIVE_ONLY.get(codec.name.upper())
        if entry is None:
            return aiortc_depayload(codec, payload)
        try:
            return entry[1](payload)
        except MalformedPayload as exc:
            size = len(payload)
            logger.debug("dropping a malformed %s packet (%d bytes): %s", codec.name, size, exc)
            raise

    depayload.wrapped = aiortc_depayload  # type: ignore[attr-defined]
    return depayload


def _get_decoder_with(aiortc_get_decoder: Callable[[Any], Decoder]) -> Callable[[Any], Decoder]:
    def get_decoder(codec: Any) -> Decoder:
        entry = RECEIVE_ONLY.get(codec.name.upper())
        if entry is None:
            return aiortc_get_decoder(codec)
        return entry[2]()

    get_decoder.wrapped = aiortc_get_decoder  # type: ignore[attr-defined]
    return get_decoder

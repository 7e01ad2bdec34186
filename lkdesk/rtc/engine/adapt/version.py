"""Which aiortc this adaptation layer is written for, and a check that it is that one."""

from __future__ import annotations

import aiortc
from aioice import Connection
from aioice.turn import TurnTransport
from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcsctptransport import RTCSctpTransport

SUPPORTED_AIORTC = "1.16."
RECEIVER_FIELDS = (
    "codecs",
    "rtx_ssrc",
    "started",
    "jitter_buffer",
    "nack_generator",
    "remote_bitrate_estimator",
    "timestamp_mapper",
    "kind",
)
SCTP_FIELDS = ("_sent_queue", "_outbound_queue", "_data_channel_queue")
ICE_CONNECTION_FIELDS = ("turn_ssl", "turn_transport", "_nominated", "_protocols", "_check_list")


class AiortcIncompatibleError(RuntimeError):
    """The installed aiortc is not the version this adaptation was written for."""


def check_compatible() -> None:
    """Fail if aiortc is not 1.16.x or lacks an internal the adaptations rely on."""
    version = getattr(aiortc, "__version__", "?")
    if not version.startswith(SUPPORTED_AIORTC):
        raise AiortcIncompatibleError(
            f"lkdesk's aiortc adaptation is written for aiortc {SUPPORTED_AIORTC}x, found {version}"
        )
    if "_RTCRtpSender__encoder" not in RTCRtpSender.__init__.__code__.co_names:
        raise AiortcIncompatibleError("aiortc RTCRtpSender has no __encoder any more")
    if not hasattr(RTCPeerConnection, "_RTCPeerConnection__connect"):
        raise AiortcIncompatibleError("aiortc RTCPeerConnection has no __connect any more")
    if "_RTCPeerConnection__iceTransports" not in RTCPeerConnection.__init__.__code__.co_names:
        raise AiortcIncompatibleError("aiortc RTCPeerConnection has no __iceTransports any more")
    if "_TurnTransport__inner_protocol" not in TurnTransport.__init__.__code__.co_names:
        raise AiortcIncompatibleError("aioice TurnTransport has no __inner_protocol any more")
    for field in ICE_CONNECTION_FIELDS:
        if field not in Connection.__init__.__code__.co_names:
            raise AiortcIncompatibleError(f"aioice Connection has no '{field}' any more")
    sctp_fields = RTCSctpTransport.__init__.__code__.co_names
    for field in SCTP_FIELDS:
        if field not in sctp_fields:
            raise AiortcIncompatibleError(f"aiortc RTCSctpTransport has no '{field}' any more")
    probe = RTCRtpReceiver.__init__.__code__.co_names
    for field in RECEIVER_FIELDS:
        if f"_RTCRtpReceiver__{field}" not in probe:
            raise AiortcIncompatibleError(f"aiortc RTCRtpReceiver has no '{field}' any more")
    # The adaptations with checks of their own (imported here: they import this module).
    from lkdesk.rtc.engine.adapt import (
        consent,
        frame_crypto,
        ice_restart,
        receive_codecs,
        receiver_recovery,
    )

    consent.check_compatible()
    frame_crypto.check_compatible()
    ice_restart.check_compatible()
    receiver_recovery.check_compatible()
    receive_codecs.check_compatible()

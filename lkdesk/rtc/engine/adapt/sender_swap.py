"""Swapping lkdesk's :class:`LayeredVideoSender` in for aiortc's sender on a transceiver.

aiortc creates a transceiver's ``RTCRtpSender`` itself and keeps it in a private field; the
layered sender takes that place before the first negotiation, so its SSRCs go into the
offer. What the swap and the sender rely on in aiortc is checked here.
"""

from __future__ import annotations

import aiortc
from aiortc import RTCRtpSender
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.rtp import HeaderExtensionsMap

from lkdesk.rtc.engine.adapt._pins import (
    SUPPORTED_AIORTC,
    require_attributes,
    require_names,
    require_version,
)
from lkdesk.rtc.engine.adapt.bandwidth import UplinkController
from lkdesk.rtc.engine.adapt.video_sender import LayeredVideoSender
from lkdesk.rtc.engine.congestion.allocation import Degradation, LayerSpec
from lkdesk.rtc.engine.media_tracks import SourceVideoTrack

_TRANSCEIVER_SENDER = "_RTCRtpTransceiver__sender"


def check_compatible() -> None:
    """Fail loudly if aiortc changed what the sender swap and the sender rely on."""
    require_version(aiortc, SUPPORTED_AIORTC)
    require_names("aiortc RTCRtpTransceiver.__init__", RTCRtpTransceiver.__init__,
                  (_TRANSCEIVER_SENDER,))  # fmt: skip
    require_names(
        "aiortc RTCRtpSender.__init__",
        RTCRtpSender.__init__,
        ("_ssrc", "_rtx_ssrc", "_stream_id", "_RTCRtpSender__transport", "_enabled"),
    )
    require_attributes("aiortc RTCRtpSender", RTCRtpSender, ("_handle_rtcp_packet", "transport"))
    require_attributes("aiortc HeaderExtensionsMap", HeaderExtensionsMap, ("configure", "set"))


def install_layered_sender(
    transceiver: RTCRtpTransceiver,
    layers: list[LayerSpec],
    uplink: UplinkController,
    degradation: Degradation,
) -> LayeredVideoSender:
    """Put a :class:`LayeredVideoSender` in place of the transceiver's aiortc sender.

    Must run before the transceiver is first negotiated (its SSRCs go into the offer).
    """
    original: RTCRtpSender = transceiver.sender
    track = original.track
    if not isinstance(track, SourceVideoTrack):
        raise TypeError("a layered sender needs an lkdesk SourceVideoTrack")
    sender = LayeredVideoSender(track, original, layers, uplink, degradation)
    setattr(transceiver, _TRANSCEIVER_SENDER, sender)
    return sender

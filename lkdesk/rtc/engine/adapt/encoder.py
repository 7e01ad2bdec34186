"""aiortc's encoders: a bitrate cap for its VP8 path, and the Opus bitrate."""

from __future__ import annotations

from typing import Any

from aiortc.codecs.opus import OpusEncoder

_ENCODER = "_RTCRtpSender__encoder"
#: libopus (through PyAV): in-band FEC, sized for a few per cent of expected loss.
OPUS_OPTIONS = {"fec": "1", "packet_loss": "5"}


def clamp_encoder_bitrate(sender: Any, max_bps: int) -> None:
    """Keep a sender's encoder target at or below ``max_bps`` (REMB may raise it).

    Called right before each frame is encoded, so the encoder never sees the higher value
    and is not rebuilt. aiortc's VP8 encoder cannot go below 250 kbps.
    """
    encoder = getattr(sender, _ENCODER, None)
    if encoder is not None and getattr(encoder, "target_bitrate", 0) > max_bps:
        encoder.target_bitrate = max_bps


def preset_opus_bitrate(sender: Any, bps: int) -> None:
    """Make an audio sender's Opus encoder run at ``bps`` (aiortc fixes 96 kbit/s).

    aiortc creates the encoder on the first frame and opens it on the first encode; libopus
    cannot change its bitrate afterwards through PyAV. So the encoder is made here, before
    any frame, with lkdesk's rate (livekit-client's default "music" preset is 48 kbit/s):
    on a 500 kbit/s uplink 96 kbit/s of Opus plus headers is a third of everything.

    In-band FEC is switched on (as libwebrtc does): each packet also carries a coarse copy
    of the one before, so a single lost packet is decoded rather than concealed.
    """
    if getattr(sender, _ENCODER, None) is None:
        encoder = OpusEncoder()
        encoder.codec.bit_rate = bps
        encoder.codec.options = {**OPUS_OPTIONS, **dict(encoder.codec.options)}
        setattr(sender, _ENCODER, encoder)

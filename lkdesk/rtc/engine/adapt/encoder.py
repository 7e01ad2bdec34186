"""Encoder bitrate cap: aiortc's REMB handling may raise the target above the user's limit."""

from __future__ import annotations

from typing import Any


def clamp_encoder_bitrate(sender: Any, max_bps: int) -> None:
    """Keep a sender's encoder target at or below ``max_bps`` (REMB may raise it).

    Called right before each frame is encoded, so the encoder never sees the higher value
    and is not rebuilt. aiortc's VP8 encoder cannot go below 250 kbps.
    """
    encoder = getattr(sender, "_RTCRtpSender__encoder", None)
    if encoder is not None and getattr(encoder, "target_bitrate", 0) > max_bps:
        encoder.target_bitrate = max_bps

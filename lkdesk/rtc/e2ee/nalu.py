"""H.264 Annex-B helpers for frame encryption (facts from livekit-client ``naluUtils.ts``).

An H.264 frame keeps everything up to its first slice NAL unit plus two bytes in clear
(parameter sets and the slice header's first bytes, so an SFU can still parse it); the
encrypted rest is escaped against start-code emulation (``00 00`` followed by 0..3 gets a
``03``) so that a depacketiser does not split it. Receivers rebuild NAL units with 4-byte
start codes, so the clear header is authenticated in that form.
"""

from __future__ import annotations

import re

START_CODE = b"\x00\x00\x00\x01"
_SHORT_START = b"\x00\x00\x01"
_SLICE_TYPES = (1, 5)  # non-IDR and IDR coded slices
_NEEDS_ESCAPE = re.compile(rb"\x00\x00(?=[\x00-\x03])")
_ESCAPED = re.compile(rb"\x00\x00\x03")
_SHORT_CODE = re.compile(rb"(?<!\x00)\x00\x00\x01")


def nalu_starts(frame: bytes) -> list[int]:
    """Offsets of each NAL unit's first byte (just after its start code)."""
    starts: list[int] = []
    position = frame.find(_SHORT_START)
    while position >= 0:
        starts.append(position + 3)
        position = frame.find(_SHORT_START, position + 3)
    return starts


def clear_bytes(frame: bytes) -> int | None:
    """How many leading bytes stay in clear: the first slice NAL's offset + 2 (None: no slice)."""
    for start in nalu_starts(frame):
        if start < len(frame) and frame[start] & 0x1F in _SLICE_TYPES:
            return min(start + 2, len(frame))
    return None


def escape(data: bytes) -> bytes:
    """Insert emulation-prevention bytes (``00 00 0x`` → ``00 00 03 0x`` for x ≤ 3)."""
    return _NEEDS_ESCAPE.sub(b"\x00\x00\x03", data)


def unescape(data: bytes) -> bytes:
    """Remove emulation-prevention bytes (``00 00 03`` → ``00 00``)."""
    return _ESCAPED.sub(b"\x00\x00", data)


def long_start_codes(data: bytes) -> bytes:
    """Every 3-byte start code written as the 4-byte form receivers rebuild."""
    return _SHORT_CODE.sub(START_CODE, data)


def join_units(units: list[bytes]) -> bytes:
    """NAL units (without start codes) as one Annex-B frame with 4-byte start codes."""
    return b"".join(START_CODE + unit for unit in units)

"""LiveKit's encrypted frame format (livekit-client ``worker/FrameCryptor.ts``).

An encrypted frame is::

    [clear header][AES-GCM ciphertext + 16-byte tag][IV (12 bytes)][IV length = 12][key index]

The clear header is the additional authenticated data. Its length depends on the codec:
a VP8 key frame keeps 10 bytes, a delta frame 3 (RFC 6386 §9.1: the frame tag and the key
frame's start code and size, so an SFU and the receiver's assembler still see keyframes);
audio keeps its first byte (the Opus TOC); VP9 nothing; H.264 everything up to the first
slice NAL unit + 2 (nalu.py), its encrypted tail escaped against start codes. The same
rules run on both sides: the header bytes a receiver sees are exactly those sent in clear.

Frames ending with the join's server-injected-frame trailer are the server's own (black
keyframes, Opus silence): they are passed on without the trailer when they are one of the
known payloads, dropped otherwise. Empty frames (DTX) pass untouched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lkdesk.rtc.e2ee import nalu

IV_LENGTH = 12
TAG_LENGTH = 16
TRAILER_LENGTH = 2
VP8_KEY_CLEAR = 10
VP8_DELTA_CLEAR = 3
AUDIO_CLEAR = 1
AUDIO_CODECS = frozenset({"opus", "pcmu", "pcma", "g722", "red"})

# The server's injected frames (livekit-server pkg/sfu/downtrack.go, as livekit-client's
# worker/sifPayload.ts lists them): passed on only when the frame is exactly one of these.
SIF_VP8_KEYFRAME = bytes.fromhex("1002009d012a080008000047088585888584880202000c0d6000feffab5080")
SIF_H264_UNITS = frozenset(
    bytes.fromhex(h)
    for h in (
        "6742c01f0fd91f888884000003000400000300c83c60c920",
        "6887cb83cb20",
        "6588840af2628000a7be",
    )
)
SIF_OPUS_SILENCE = bytes.fromhex("f8fffe") + bytes(77)


class Drop(StrEnum):
    """Why a received frame was not decrypted (each counted by its cryptor)."""

    BAD_TRAILER = "bad trailer"  # IV length byte is not 12
    TRUNCATED = "truncated"  # shorter than header + tag + IV + trailer
    KEY_OUT_OF_RANGE = "key index out of range"
    MISSING_KEY = "missing key"
    INVALID_KEY = "key marked invalid"
    FAILED_TAG = "authentication failed"  # wrong key, or the frame was altered
    BAD_SIF = "unexpected server-injected frame"
    UNKNOWN_TRACK = "track not known yet"
    NO_KEY_TO_SEND = "no key to encrypt with"


class FrameDropped(Exception):
    """A frame that is dropped; ``reason`` says why."""

    def __init__(self, reason: Drop) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Sealed:
    """A received frame taken apart: the clear header, the ciphertext, its IV and key index."""

    header: bytes
    ciphertext: bytes
    iv: bytes
    key_index: int


def clear_length(codec: str, frame: bytes) -> tuple[int, bool]:
    """(bytes kept in clear, whether the H.264 escaping applies) for a frame of ``codec``."""
    name = codec.lower()
    if name in AUDIO_CODECS:
        return AUDIO_CLEAR, False
    if name == "vp9":
        return 0, False
    if name == "h264":
        clear = nalu.clear_bytes(frame)
        if clear is not None:
            return clear, True
    # VP8, and livekit-client's fallback for any other video: the VP8 frame tag's P bit
    if not frame:
        return 0, False
    return (VP8_DELTA_CLEAR if frame[0] & 0x01 else VP8_KEY_CLEAR), False


def is_keyframe(codec: str, frame: bytes) -> bool | None:
    """Whether a (clear-headed) video frame is a keyframe; None when the codec cannot say."""
    name = codec.lower()
    if name == "vp8" and frame:
        return not frame[0] & 0x01
    if name == "h264":
        return any(s < len(frame) and frame[s] & 0x1F == 5 for s in nalu.nalu_starts(frame))
    return None


def encrypt(codec: str, frame: bytes, aead: AESGCM, key_index: int) -> bytes:
    """``frame`` encrypted with ``aead`` and a fresh random IV, trailer appended."""
    clear, escaped = clear_length(codec, frame)
    header = frame[:clear]
    if escaped:
        header = nalu.long_start_codes(header)
    iv = os.urandom(IV_LENGTH)  # random, as server-sdk-go does; receivers read it from the trailer
    tail = aead.encrypt(iv, frame[clear:], header) + iv + bytes((IV_LENGTH, key_index))
    return header + (nalu.escape(tail) if escaped else tail)


def parse(codec: str, frame: bytes) -> Sealed:
    """Take a received encrypted frame apart; :class:`FrameDropped` when it cannot be one."""
    clear, escaped = clear_length(codec, frame)
    header, body = frame[:clear], frame[clear:]
    if escaped:
        body = nalu.unescape(body)
    if len(body) < TRAILER_LENGTH:
        raise FrameDropped(Drop.TRUNCATED)
    iv_length, key_index = body[-2], body[-1]
    if iv_length != IV_LENGTH:
        raise FrameDropped(Drop.BAD_TRAILER)
    if len(body) < TAG_LENGTH + IV_LENGTH + TRAILER_LENGTH:
        raise FrameDropped(Drop.TRUNCATED)
    iv = body[-TRAILER_LENGTH - IV_LENGTH : -TRAILER_LENGTH]
    return Sealed(header, body[: -TRAILER_LENGTH - IV_LENGTH], iv, key_index)


def open_with(sealed: Sealed, aead: AESGCM) -> bytes:
    """The clear frame; ``cryptography``'s InvalidTag when the key is wrong."""
    return sealed.header + aead.decrypt(sealed.iv, sealed.ciphertext, sealed.header)


def server_injected(frame: bytes, trailer: bytes) -> bytes | None:
    """For a frame ending with the SIF ``trailer``: the frame without it (None: not one)."""
    if not trailer or len(frame) < len(trailer) or not frame.endswith(trailer):
        return None
    return frame[: len(frame) - len(trailer)]


def known_sif_payload(payload: bytes) -> bool:
    """Whether a server-injected frame carries one of the server's known payloads."""
    if payload in (SIF_VP8_KEYFRAME, SIF_OPUS_SILENCE):
        return True
    starts = nalu.nalu_starts(payload)
    if not starts:
        return payload in SIF_H264_UNITS
    units = [
        payload[start : (starts[i + 1] - 3 if i + 1 < len(starts) else len(payload))].rstrip(
            b"\x00"
        )
        for i, start in enumerate(starts)
    ]
    return all(unit in SIF_H264_UNITS for unit in units)

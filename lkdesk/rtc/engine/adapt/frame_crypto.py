"""End-to-end encryption of encoded frames inside aiortc 1.16 (issue 15).

LiveKit encrypts whole encoded frames, after encoding and before packetisation, and
decrypts them after depacketisation and reassembly, before decoding. aiortc has no such
hook (no insertable streams), so both ends are wrapped per instance, never per class:

* send: aiortc's ``RTCRtpSender._next_encoded_frame`` creates the encoder lazily and calls
  ``encoder.encode`` in the loop's default executor; the encoder packetises inside
  ``encode``. :func:`install_send_crypto` makes sure the sender's encoder exists and wraps
  that encoder object: VP8's and H.264's ``_packetize`` (given the whole frame, or its
  NAL units) and Opus's ``encode``/``pack`` (one Opus packet per RTP packet, so each
  payload is one frame). Encryption thus runs in the executor thread, beside the encoder.
* receive: every complete frame, from aiortc's own jitter buffer (audio) or lkdesk's
  :class:`VideoFrameAssembler` (video, receiver_recovery.py), goes through the receiver's
  decoder queue to its ``*-decoder`` thread. :func:`install_receive_crypto` wraps that
  queue's ``get``: the decoder thread decrypts each frame right before decoding it and
  never sees one that failed (it is dropped and counted by the cryptor). The assembler
  works on the clear VP8 payload descriptor and header bytes, so frame starts and
  keyframes are found in encrypted streams too. A VP9 picture with spatial layers is
  decrypted layer frame by layer frame (each was sealed on its own by the sender; the
  assembler hands their sizes over). When frames decrypt again after a run of failures,
  the receiver's decoder-error event asks the recovery for a keyframe.

A frame cryptor is anything with ``encrypt``/``decrypt(codec name, frame) -> bytes | None``
(lkdesk.rtc.e2ee.FrameCryptor); this module knows nothing of keys.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

import aiortc
from aiortc.codecs import get_encoder
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender

from lkdesk.rtc.engine.adapt._pins import (
    SUPPORTED_AIORTC,
    AdaptationIncompatibleError,
    require_attributes,
    require_names,
    require_version,
)

logger = logging.getLogger(__name__)

_ENCODER = "_RTCRtpSender__encoder"
_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_DECODER_ERROR = "_RTCRtpReceiver__decoder_error"
_KIND = "_RTCRtpReceiver__kind"
_WRAPPED = "_lkdesk_frame_crypto"
_START_CODE = b"\x00\x00\x00\x01"


class FrameEncryptor(Protocol):
    def encrypt(self, codec: str, frame: bytes) -> bytes | None: ...


class FrameDecryptor(Protocol):
    def decrypt(self, codec: str, frame: bytes) -> bytes | None: ...


def check_compatible() -> None:
    """Fail loudly if aiortc changed the encode/decode path these hooks sit in."""
    require_version(aiortc, SUPPORTED_AIORTC)
    require_names(
        "aiortc RTCRtpSender._next_encoded_frame",
        RTCRtpSender._next_encoded_frame,
        (_ENCODER, "get_encoder", "encode", "pack", "run_in_executor"),
    )
    require_names("aiortc Vp8Encoder.encode", Vp8Encoder.encode, ("_packetize",))
    require_names("aiortc Vp8Encoder.pack", Vp8Encoder.pack, ("_packetize",))
    require_names("aiortc H264Encoder.encode", H264Encoder.encode, ("_packetize",))
    require_names("aiortc H264Encoder.pack", H264Encoder.pack, ("_packetize",))
    require_attributes("aiortc H264Encoder", H264Encoder, ("_split_bitstream",))
    require_attributes("aiortc OpusEncoder", OpusEncoder, ("encode", "pack"))
    require_names("aiortc RTCRtpReceiver.__init__", RTCRtpReceiver.__init__, (_DECODER_QUEUE,))
    require_names(
        "aiortc RTCRtpReceiver.receive", RTCRtpReceiver.receive, (_DECODER_QUEUE, "Thread")
    )
    from aiortc import rtcrtpreceiver

    if "get" not in rtcrtpreceiver.decoder_worker.__code__.co_names:
        raise AdaptationIncompatibleError("aiortc decoder_worker no longer reads its queue")


# ----- sending -------------------------------------------------------------------------------


def install_send_crypto(sender: RTCRtpSender, cryptor: FrameEncryptor) -> None:
    """Encrypt every frame ``sender`` encodes (VP8, H.264, Opus); idempotent per sender."""
    if getattr(sender, _WRAPPED, None) is not None:
        setattr(sender, _WRAPPED, cryptor)
        return
    setattr(sender, _WRAPPED, cryptor)
    original = sender._next_encoded_frame

    async def next_encoded_frame(codec: Any) -> Any:
        encoder = getattr(sender, _ENCODER)
        if encoder is None:  # aiortc would create it just now; create it so we can wrap it
            encoder = get_encoder(codec)
            setattr(sender, _ENCODER, encoder)
        if getattr(encoder, _WRAPPED, None) is None:
            _wrap_encoder(encoder, codec.name, lambda: getattr(sender, _WRAPPED))
        return await original(codec)

    sender._next_encoded_frame = next_encoded_frame  # type: ignore[method-assign]


def _wrap_encoder(encoder: Any, codec: str, cryptor: Callable[[], FrameEncryptor]) -> None:
    setattr(encoder, _WRAPPED, True)
    if isinstance(encoder, Vp8Encoder):
        packetize_vp8 = type(encoder)._packetize

        def vp8(buffer: bytes, picture_id: int) -> list[bytes]:
            frame = cryptor().encrypt(codec, buffer)
            return packetize_vp8(frame, picture_id) if frame else []

        encoder._packetize = vp8  # type: ignore[method-assign]
    elif isinstance(encoder, H264Encoder):
        packetize_h264 = type(encoder)._packetize
        split = type(encoder)._split_bitstream

        def h264(units: Any) -> list[bytes]:
            frame = cryptor().encrypt(codec, b"".join(_START_CODE + u for u in units))
            return packetize_h264(split(frame)) if frame else []

        encoder._packetize = h264  # type: ignore[method-assign,assignment]
    elif isinstance(encoder, OpusEncoder):
        encoder.encode = _each_payload(encoder.encode, codec, cryptor)  # type: ignore[method-assign]
        encoder.pack = _each_payload(encoder.pack, codec, cryptor)  # type: ignore[method-assign]
    else:
        logger.warning("frames of codec %s cannot be encrypted; nothing will be sent", codec)
        encoder.encode = lambda *_a, **_k: ([], None)
        encoder.pack = lambda *_a, **_k: ([], None)


def _each_payload(
    method: Callable[..., tuple[list[bytes], Any]],
    codec: str,
    cryptor: Callable[[], FrameEncryptor],
) -> Callable[..., tuple[list[bytes], Any]]:
    """Opus: aiortc sends each encoded packet as its own RTP packet, i.e. one frame each."""

    def wrapped(*args: Any, **kwargs: Any) -> tuple[list[bytes], Any]:
        payloads, timestamp = method(*args, **kwargs)
        encrypted = [cryptor().encrypt(codec, p) for p in payloads]
        return [p for p in encrypted if p], timestamp

    return wrapped


# ----- receiving -----------------------------------------------------------------------------


def _decrypt_parts(cryptor: FrameDecryptor, codec: str, frame: Any) -> bytes | None:
    """The frame decrypted; a VP9 picture part by part (each layer frame was sealed on its
    own, receiver_recovery hands their sizes over), None when any part fails."""
    sizes: tuple[int, ...] = getattr(frame, "part_sizes", ())
    if len(sizes) < 2 or sum(sizes) != len(frame.data):
        return cryptor.decrypt(codec, frame.data)
    parts: list[bytes] = []
    start = 0
    for size in sizes:
        part = cryptor.decrypt(codec, frame.data[start : start + size])
        if part is None:
            return None
        parts.append(part)
        start += size
    return b"".join(parts)


class _Decrypting:
    """Wraps one receiver decoder queue's ``get`` (called in its decoder thread only)."""

    def __init__(self, receiver: RTCRtpReceiver, resolve: Callable[[], FrameDecryptor]) -> None:
        self._receiver = receiver
        self.resolve = resolve
        self._video = getattr(receiver, _KIND) == "video"
        self._failing = False
        self.crashes = 0  # cryptor exceptions caught (a bug, not a bad frame)
        queue = getattr(receiver, _DECODER_QUEUE)
        self._get = queue.get
        queue.get = self.get

    def get(self, *args: Any, **kwargs: Any) -> Any:
        while True:
            task = self._get(*args, **kwargs)
            if task is None:
                return None  # aiortc's "stop" message
            codec, frame = task
            try:
                data = _decrypt_parts(self.resolve(), codec.name, frame)
            except Exception:  # a cryptor bug must not end the decoder thread
                self.crashes += 1
                if self.crashes == 1 or self.crashes % 1000 == 0:  # not one line per frame
                    logger.exception("frame decryption failed unexpectedly (%d)", self.crashes)
                data = None
            if data is None:
                self._failing = True
                continue
            if self._failing and self._video:  # the decoder missed frames: ask for a keyframe
                getattr(self._receiver, _DECODER_ERROR).set()
            self._failing = False
            frame.data = data
            return task


def install_receive_crypto(receiver: RTCRtpReceiver, resolve: Callable[[], FrameDecryptor]) -> None:
    """Decrypt each frame ``receiver`` decodes with the cryptor ``resolve()`` names then.

    ``resolve`` is asked per frame (LiveKit reuses an m-line for another track); it runs in
    the decoder thread, so it must only read. Idempotent: installing again replaces it.
    """
    current = getattr(receiver, _WRAPPED, None)
    if isinstance(current, _Decrypting):
        current.resolve = resolve
        return
    setattr(receiver, _WRAPPED, _Decrypting(receiver, resolve))


def decryption_hook_installed(receiver: RTCRtpReceiver) -> bool:
    return isinstance(getattr(receiver, _WRAPPED, None), _Decrypting)


__all__ = [
    "FrameDecryptor",
    "FrameEncryptor",
    "check_compatible",
    "decryption_hook_installed",
    "install_receive_crypto",
    "install_send_crypto",
]

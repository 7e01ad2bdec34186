"""LiveKit's encrypted frame layout: clear bytes per codec, trailer, H.264 escaping, SIF."""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lkdesk.rtc.e2ee import frames, nalu
from lkdesk.rtc.e2ee.frames import Drop, FrameDropped
from tests.rtc.e2ee import vectors as v

KEY = AESGCM(bytes.fromhex(v.PBKDF2_KEY))
VP8_KEY_FRAME = bytes([0x10]) + os.urandom(300)  # P bit 0: keyframe
VP8_DELTA = bytes([0x11]) + os.urandom(300)


def test_frame_encrypted_by_livekit_client_decrypts() -> None:
    sealed = frames.parse("VP8", v.VP8_DELTA_ENCRYPTED)
    assert sealed.key_index == 0 and sealed.iv == bytes(range(100, 112))
    assert frames.open_with(sealed, KEY) == v.VP8_DELTA_FRAME


@pytest.mark.parametrize(
    ("codec", "frame", "clear"),
    [
        ("VP8", VP8_KEY_FRAME, 10),
        ("vp8", VP8_DELTA, 3),
        ("opus", b"\x78" + os.urandom(80), 1),
        ("VP9", os.urandom(200), 0),
    ],
)
def test_codec_header_stays_clear_and_authenticated(codec: str, frame: bytes, clear: int) -> None:
    encrypted = frames.encrypt(codec, frame, KEY, key_index=3)
    assert encrypted[:clear] == frame[:clear]
    assert frame[clear : clear + 16] not in encrypted  # the rest really is encrypted
    assert encrypted[-2:] == bytes([12, 3])
    assert len(encrypted) == len(frame) + 16 + 12 + 2
    sealed = frames.parse(codec, encrypted)
    assert frames.open_with(sealed, KEY) == frame
    if clear:
        tampered = bytes([encrypted[0] ^ 0x40]) + encrypted[1:]
        with pytest.raises(InvalidTag):
            frames.open_with(frames.parse(codec, tampered), KEY)


def test_vp8_keyframe_flag_survives_encryption() -> None:
    assert frames.is_keyframe("VP8", frames.encrypt("VP8", VP8_KEY_FRAME, KEY, 0))
    assert not frames.is_keyframe("VP8", frames.encrypt("VP8", VP8_DELTA, KEY, 0))


def _h264_frame() -> bytes:
    sps, pps = b"\x67\x42\xc0\x1f\x0f\xd9", b"\x68\xce\x3c\x80"
    # slice data full of zero runs, so the encrypted tail needs escaping sometimes
    idr = b"\x65\x88\x84" + bytes(20) + os.urandom(400) + b"\x00\x00\x03\x01\x00\x00\x03\x02"
    return nalu.join_units([sps, pps, idr])


def test_h264_keeps_parameter_sets_and_slice_start_clear_and_escapes_the_rest() -> None:
    for _ in range(20):  # random ciphertexts: some need escaping
        frame = _h264_frame()
        clear = frame.index(b"\x65") + 2
        encrypted = frames.encrypt("H264", frame, KEY, 1)
        assert encrypted[:clear] == frame[:clear]
        assert nalu.nalu_starts(encrypted) == nalu.nalu_starts(frame)  # no start code emulated
        assert frames.open_with(frames.parse("H264", encrypted), KEY) == frame
        assert frames.is_keyframe("H264", encrypted)


def test_h264_three_byte_start_codes_are_authenticated_as_four_bytes() -> None:
    frame = b"\x00\x00\x01\x67\x42\x00\x00\x01\x65\x88" + os.urandom(50)
    encrypted = frames.encrypt("H264", frame, KEY, 0)
    assert encrypted.startswith(b"\x00\x00\x00\x01\x67\x42\x00\x00\x00\x01\x65\x88")
    clear = frames.open_with(frames.parse("H264", encrypted), KEY)
    assert clear[-50:] == frame[-50:]


def test_escaping_round_trips_and_removes_every_emulated_start_code() -> None:
    data = bytes([0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 7, 0, 0])
    escaped = nalu.escape(data)
    assert b"\x00\x00\x00" not in escaped and b"\x00\x00\x01" not in escaped
    assert b"\x00\x00\x02" not in escaped
    assert nalu.unescape(escaped) == data


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"\x11\x22\x33\x44", Drop.TRUNCATED),
        (b"\x11\x22\x33" + bytes(40) + bytes([13, 0]), Drop.BAD_TRAILER),
        (b"\x11\x22\x33" + bytes(20) + bytes([12, 0]), Drop.TRUNCATED),
        (b"\x11", Drop.TRUNCATED),
    ],
)
def test_malformed_frames_are_refused_with_a_reason(frame: bytes, reason: Drop) -> None:
    with pytest.raises(FrameDropped) as caught:
        frames.parse("VP8", frame)
    assert caught.value.reason is reason


def test_server_injected_frames_are_recognised_by_trailer_and_payload() -> None:
    trailer = b"LKSIF-trailer"
    assert frames.server_injected(frames.SIF_VP8_KEYFRAME + trailer, trailer) == (
        frames.SIF_VP8_KEYFRAME
    )
    assert frames.known_sif_payload(frames.SIF_VP8_KEYFRAME)
    assert frames.known_sif_payload(frames.SIF_OPUS_SILENCE)
    assert frames.known_sif_payload(nalu.join_units(sorted(frames.SIF_H264_UNITS)))
    assert not frames.known_sif_payload(b"\x10\x02\x00something else")
    assert frames.server_injected(VP8_DELTA, trailer) is None
    assert frames.server_injected(VP8_DELTA, b"") is None

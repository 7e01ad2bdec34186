"""Frame starts and keyframes read from VP8 and H.264 RTP payloads.

The VP8 payloads are the ones aiortc's own packetiser produces for a real encoded keyframe
and delta frame, so the parser is checked against the format as a sender writes it.
"""

from __future__ import annotations

import fractions

import av
import numpy as np
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder

from lkdesk.rtc.engine.adapt.video_payload import PayloadInfo, h264_info, info_for, vp8_info


def _frames(count: int) -> list[av.VideoFrame]:
    frames = []
    for i in range(count):
        image = np.full((120, 160, 3), (40 * i) % 255, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = i * 3000
        frame.time_base = fractions.Fraction(1, 90000)
        frames.append(frame)
    return frames


def test_vp8_payloads_from_aiortc_show_frame_starts_and_the_keyframe() -> None:
    encoder = Vp8Encoder()
    first, second = _frames(2)
    key_payloads, _ = encoder.encode(first)
    delta_payloads, _ = encoder.encode(second)
    key = [vp8_info(p) for p in key_payloads]
    delta = [vp8_info(p) for p in delta_payloads]
    assert key[0] == PayloadInfo(True, True)
    assert delta[0] == PayloadInfo(True, False)
    assert all(info.starts_frame is False for info in key[1:] + delta[1:])


def test_vp8_descriptor_extensions_are_skipped_before_the_keyframe_bit() -> None:
    # X=1, S=1; I=1 with a 15-bit PictureID, L=1, T/K byte; then a keyframe header byte.
    payload = bytes([0x90, 0xE0, 0x81, 0x23, 0x05, 0x40, 0x00, 0xAA])
    assert vp8_info(payload) == PayloadInfo(True, True)
    assert vp8_info(bytes([0x90, 0x80, 0x12, 0x01])) == PayloadInfo(True, False)
    # A start of partition 1 is not a frame start.
    assert vp8_info(bytes([0x11, 0x00])).starts_frame is False


def test_h264_idr_marks_a_keyframe_and_fu_a_middles_never_start_a_frame() -> None:
    encoder = H264Encoder()
    key_payloads, _ = encoder.encode(_frames(1)[0])
    assert any(h264_info(p).keyframe for p in key_payloads)
    fu_middle = bytes([0x7C, 0x05, 0x00])  # FU-A, IDR, neither start nor end
    assert h264_info(fu_middle) == PayloadInfo(False, True)
    assert h264_info(bytes([0x7C, 0x85, 0x00])) == PayloadInfo(None, True)
    stap_a = bytes([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x65, 0x88])
    assert h264_info(stap_a) == PayloadInfo(None, True)
    assert h264_info(bytes([0x41, 0x9A])) == PayloadInfo(None, False)


def test_unknown_codecs_and_empty_payloads_say_nothing() -> None:
    assert info_for("opus", b"\x01\x02") == PayloadInfo(None, None)
    assert vp8_info(b"") == PayloadInfo(None, None)
    assert h264_info(b"") == PayloadInfo(None, None)

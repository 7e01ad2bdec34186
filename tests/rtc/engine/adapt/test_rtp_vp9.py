"""The VP9 payload descriptor (RFC 9628): parsed, stripped, and never raising on bad input."""

from __future__ import annotations

import contextlib

import pytest
from aiortc.jitterbuffer import JitterFrame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lkdesk.rtc.engine.adapt.rtp_vp9 import MalformedPayload, parse_descriptor, vp9_depayload
from lkdesk.rtc.engine.adapt.video_decoders import Vp9Decoder
from lkdesk.rtc.engine.adapt.video_payload import PayloadInfo, vp9_info
from tests.rtc.engine.adapt.rtp_senders import (
    HEIGHT,
    WIDTH,
    encode,
    grey,
    make_encoder,
    vp9_payloads,
)

# Flexible mode, keyframe: I (15-bit id 0x1234), L (TID 2, U, SID 1, D), B, E, V with an SS of
# three layers with resolutions and a picture group of two entries (the second with one ref).
FLEXIBLE_KEY_WITH_SS = bytes(
    [
        *(0x80 | 0x20 | 0x10 | 0x08 | 0x04 | 0x02, 0x92, 0x34, (2 << 5) | 0x10 | (1 << 1) | 1),
        (2 << 5) | 0x10 | 0x08,  # SS: N_S = 2, Y, G
        *(0x00, 0xA0, 0x00, 0x5A, 0x01, 0x40, 0x00, 0xB4, 0x02, 0x80, 0x01, 0x68),
        *(2, 0x00, (1 << 5) | (1 << 2), 0x01),  # N_G = 2; the second entry has one P_DIFF
        *b"\x82\x49\x83",
    ]
)
# Non-flexible delta frame: I (7-bit id 5), P, L (TID 1, SID 0) + TL0PICIDX, middle packet.
NON_FLEXIBLE_DELTA = bytes([0x80 | 0x40 | 0x20, 0x05, 1 << 5, 0x07]) + b"data"
# Flexible delta with two references (P_DIFF 1 then 3), begins a layer-2 frame.
FLEXIBLE_TWO_REFS = bytes([0x80 | 0x40 | 0x20 | 0x10 | 0x08, 0x7F, 2 << 1, (1 << 1) | 1, 3 << 1])


def test_descriptor_fields_of_a_flexible_keyframe_with_a_scalability_structure() -> None:
    descriptor = parse_descriptor(FLEXIBLE_KEY_WITH_SS)
    assert descriptor.picture_id == 0x1234
    assert (descriptor.temporal_id, descriptor.spatial_id, descriptor.inter_layer) == (2, 1, True)
    assert descriptor.flexible and descriptor.begins_frame and descriptor.ends_frame
    assert not descriptor.inter_picture and descriptor.references == ()
    assert descriptor.spatial_layers == 3
    assert descriptor.resolutions == ((160, 90), (320, 180), (640, 360))
    assert vp9_depayload(FLEXIBLE_KEY_WITH_SS) == b"\x82\x49\x83"


def test_non_flexible_mode_skips_tl0picidx_and_flexible_mode_reads_every_reference() -> None:
    delta = parse_descriptor(NON_FLEXIBLE_DELTA)
    assert (delta.picture_id, delta.temporal_id, delta.inter_picture) == (5, 1, True)
    assert vp9_depayload(NON_FLEXIBLE_DELTA) == b"data"
    refs = parse_descriptor(FLEXIBLE_TWO_REFS)
    assert refs.references == (1, 3) and refs.spatial_id == 2
    assert vp9_depayload(FLEXIBLE_TWO_REFS) == b""


@pytest.mark.parametrize("payload", [FLEXIBLE_KEY_WITH_SS, NON_FLEXIBLE_DELTA, FLEXIBLE_TWO_REFS])
def test_every_truncated_descriptor_is_malformed(payload: bytes) -> None:
    size = parse_descriptor(payload).header_size
    for cut in range(size):
        with pytest.raises(MalformedPayload):
            vp9_depayload(payload[:cut])


def test_more_than_three_references_are_malformed() -> None:
    with pytest.raises(MalformedPayload):
        parse_descriptor(bytes([0x40 | 0x10, 0x03, 0x05, 0x07, 0x09]))


def test_picture_starts_and_keyframes_for_the_frame_assembler() -> None:
    key = vp9_payloads(b"k" * 500, keyframe=True, picture_id=1)
    delta = vp9_payloads(b"d" * 500, keyframe=False, picture_id=2)
    upper = vp9_payloads(b"u" * 10, keyframe=True, picture_id=1, spatial_id=1, inter_layer=True)
    # An L3T3_KEY delta picture as the server forwards it: the top layer's frame alone (D=0).
    top_only = vp9_payloads(b"t" * 300, keyframe=False, picture_id=3, spatial_id=2)
    assert vp9_info(key[0]) == PayloadInfo(True, True)
    assert vp9_info(delta[0]) == PayloadInfo(True, False)
    assert vp9_info(top_only[0]) == PayloadInfo(True, False)
    later = key[1:] + delta[1:] + upper + top_only[1:]
    assert all(vp9_info(p) == PayloadInfo(False, None) for p in later)
    assert vp9_info(b"") == PayloadInfo(None, None)


def test_encoded_frames_survive_packetising_and_decode_to_their_colour() -> None:
    encoder = make_encoder("VP9")
    decoder = Vp9Decoder()
    for frame_no in range(6):
        data, keyframe = encode(encoder, frame_no, keyframe=frame_no == 0)
        payloads = vp9_payloads(
            data, keyframe=keyframe, picture_id=frame_no, flexible=frame_no % 2 == 0
        )
        assert b"".join(vp9_depayload(p) for p in payloads) == data
        (frame,) = decoder.decode(JitterFrame(data=data, timestamp=frame_no * 3000))
        assert (frame.width, frame.height) == (WIDTH, HEIGHT)
        level = float(frame.to_ndarray(format="gray").mean())
        assert abs(level - grey(frame_no)) < 4, (frame_no, level)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=64))
def test_random_payloads_parse_or_are_malformed_never_anything_else(payload: bytes) -> None:
    try:
        data = vp9_depayload(payload)
    except MalformedPayload:
        pass
    else:
        assert payload.endswith(data)
    info = vp9_info(payload)
    assert info.starts_frame in (True, False, None)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([FLEXIBLE_KEY_WITH_SS, NON_FLEXIBLE_DELTA, FLEXIBLE_TWO_REFS]), st.data())
def test_mutated_descriptors_parse_or_are_malformed(base: bytes, data: st.DataObject) -> None:
    payload = bytearray(base)
    for _ in range(data.draw(st.integers(1, 4))):
        payload[data.draw(st.integers(0, len(payload) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(payload)))
    with contextlib.suppress(MalformedPayload):
        vp9_depayload(bytes(payload[:cut]))

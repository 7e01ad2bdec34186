"""AV1 RTP (AOM specification): packets checked, OBUs rejoined, temporal units rebuilt.

Temporal units come from a real AV1 encoder (SVT-AV1 through PyAV); after packetising and
depacketising they must be byte-identical to what the encoder wrote (a temporal delimiter
first, every OBU with its size) and decode to their colour with dav1d.
"""

from __future__ import annotations

import contextlib
import functools

import av
import pytest
from aiortc.jitterbuffer import JitterFrame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lkdesk.rtc.engine.adapt.rtp_av1 import (
    MalformedPayload,
    assemble_temporal_unit,
    av1_depayload,
    leb128,
    parse_packet,
    read_leb128,
)
from lkdesk.rtc.engine.adapt.video_decoders import Av1Decoder
from lkdesk.rtc.engine.adapt.video_payload import PayloadInfo, av1_info
from tests.rtc.engine.adapt.rtp_senders import (
    HEIGHT,
    WIDTH,
    av1_payloads,
    encode,
    grey,
    make_encoder,
)

SEQUENCE_HEADER = bytes([1 << 3, 0xAA, 0xBB])  # obu_type 1, no size field
FRAME = bytes([6 << 3, 0x10, 0x11, 0x12])
FRAME_WITH_EXTENSION = bytes([6 << 3 | 0x04, 0x28, 0x13])  # extension: TID 1, SID 1


def _sized(obu: bytes) -> bytes:
    head = 2 if obu[0] & 0x04 else 1
    return bytes([obu[0] | 0x02]) + obu[1:head] + leb128(len(obu) - head) + obu[head:]


def _units(count: int) -> list[tuple[bytes, bool]]:
    encoder = make_encoder("AV1")
    return [encode(encoder, n, keyframe=n in (0, 4)) for n in range(count)]


def test_leb128_round_trips_and_rejects_overlong_values() -> None:
    for value in (0, 1, 127, 128, 300, 2**32 - 1, 2**56 - 1):
        assert read_leb128(leb128(value) + b"x", 0) == (value, len(leb128(value)))
    with pytest.raises(MalformedPayload):
        read_leb128(b"\x80" * 9, 0)
    with pytest.raises(MalformedPayload):
        read_leb128(b"\x80\x80", 0)


def test_aggregation_header_and_elements_with_and_without_a_count() -> None:
    with_lengths = bytes([0x08]) + leb128(3) + SEQUENCE_HEADER + leb128(4) + FRAME
    packet = parse_packet(with_lengths)
    assert (packet.continues_obu, packet.continued, packet.new_sequence) == (False, False, True)
    assert packet.elements == (SEQUENCE_HEADER, FRAME)
    counted = bytes([0x20 | 0x40]) + leb128(3) + SEQUENCE_HEADER + FRAME[:2]  # W=2, Y
    assert parse_packet(counted).elements == (SEQUENCE_HEADER, FRAME[:2])
    assert parse_packet(counted).continued


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"", "empty"),
        (bytes([0x00]), "no elements and W=0"),
        (bytes([0x88]) + leb128(1) + b"x", "N with Z"),
        (bytes([0x00]) + leb128(5) + b"abc", "element longer than the packet"),
        (bytes([0x00]) + b"\xff", "length ends early"),
    ],
)
def test_malformed_packets_are_refused(payload: bytes, why: str) -> None:
    with pytest.raises(MalformedPayload):
        av1_depayload(payload)


def test_fragments_join_into_sized_obus_after_a_temporal_delimiter() -> None:
    first = bytes([0x40 | 0x08]) + leb128(3) + SEQUENCE_HEADER + leb128(2) + FRAME[:2]  # Y, N
    second = bytes([0x80 | 0x10]) + FRAME[2:]  # Z, W=1
    third = bytes([0x10]) + bytes([2 << 3]) + b""  # a temporal delimiter alone: dropped
    fourth = bytes([0x10]) + FRAME_WITH_EXTENSION
    data = b"".join(av1_depayload(p) for p in (first, second, third, fourth))
    unit = assemble_temporal_unit(data)
    expected = b"\x12\x00" + _sized(SEQUENCE_HEADER) + _sized(FRAME) + _sized(FRAME_WITH_EXTENSION)
    assert unit == expected


def test_fragments_that_do_not_join_up_are_malformed() -> None:
    whole = bytes([0x10]) + FRAME
    dangling = bytes([0x40 | 0x10]) + FRAME[:2]
    orphan = bytes([0x80 | 0x10]) + FRAME[2:]
    for packets in ([orphan], [dangling], [dangling, whole], [whole, orphan]):
        with pytest.raises(MalformedPayload):
            assemble_temporal_unit(b"".join(av1_depayload(p) for p in packets))
    wrong_size = bytes([0x10, 6 << 3 | 0x02, 0x05, 0x01])  # obu_size 5, one byte follows
    with pytest.raises(MalformedPayload):
        assemble_temporal_unit(av1_depayload(wrong_size))


@pytest.mark.parametrize("count_field", [False, True])
@pytest.mark.parametrize("mtu", [12, 40, 1200])
def test_encoded_units_are_rebuilt_byte_for_byte_and_decode_to_their_colour(
    count_field: bool, mtu: int
) -> None:
    decoder = Av1Decoder()
    for frame_no, (unit, keyframe) in enumerate(_units(6)):
        payloads = av1_payloads(unit, keyframe=keyframe, mtu=mtu, count_field=count_field)
        assert len(payloads) > 1 or mtu > 12  # 12 bytes fragment every unit
        data = b"".join(av1_depayload(p) for p in payloads)
        assert assemble_temporal_unit(data) == unit
        (frame,) = decoder.decode(JitterFrame(data=data, timestamp=frame_no * 3000))
        assert (frame.width, frame.height) == (WIDTH, HEIGHT)
        level = float(frame.to_ndarray(format="gray").mean())
        assert abs(level - grey(frame_no)) < 4, (frame_no, level)


def test_keyframe_and_frame_start_facts_for_the_frame_assembler() -> None:
    (key, _), (delta, _) = _units(2)
    key_packets = av1_payloads(key, keyframe=True, mtu=12)
    delta_packets = av1_payloads(delta, keyframe=False, mtu=12)
    assert av1_info(key_packets[0]) == PayloadInfo(True, True)
    assert av1_info(delta_packets[0]) == PayloadInfo(None, False)
    continuations = [p for p in key_packets + delta_packets if p[0] & 0x80]
    assert continuations and all(av1_info(p) == PayloadInfo(False, False) for p in continuations)
    # A sender that does not set N still shows its keyframes by the sequence header.
    assert av1_info(bytes([key_packets[0][0] & ~0x08]) + key_packets[0][1:]).keyframe is True
    assert av1_info(b"") == PayloadInfo(None, None)


def test_a_malformed_unit_is_an_ffmpeg_error_the_decoder_thread_survives() -> None:
    decoder = Av1Decoder()
    dangling = av1_depayload(bytes([0x40 | 0x10]) + FRAME[:2])
    with pytest.raises(av.FFmpegError):
        decoder.decode(JitterFrame(data=dangling, timestamp=0))
    garbage = av1_depayload(bytes([0x10]) + FRAME)  # a frame without a sequence header
    with contextlib.suppress(av.FFmpegError):
        assert decoder.decode(JitterFrame(data=garbage, timestamp=0)) == []


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=64))
def test_random_payloads_are_framed_or_malformed_never_anything_else(payload: bytes) -> None:
    try:
        framed = av1_depayload(payload)
    except MalformedPayload:
        pass
    else:
        assert framed.endswith(payload)
    assert av1_info(payload).keyframe in (True, False, None)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(min_size=1, max_size=24), min_size=1, max_size=5))
def test_random_packet_sequences_assemble_or_are_malformed(payloads: list[bytes]) -> None:
    framed = b"".join(leb128(len(p)) + p for p in payloads)
    try:
        unit = assemble_temporal_unit(framed)
    except MalformedPayload:
        return
    assert unit.startswith(b"\x12\x00")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_units_never_escape_the_decoder_as_anything_but_ffmpeg_errors(
    data: st.DataObject,
) -> None:
    units = _real_units()
    unit, keyframe = units[data.draw(st.integers(0, len(units) - 1))]
    payloads = [bytearray(p) for p in av1_payloads(unit, keyframe=keyframe, mtu=16)]
    for _ in range(data.draw(st.integers(1, 3))):
        packet = payloads[data.draw(st.integers(0, len(payloads) - 1))]
        packet[data.draw(st.integers(0, len(packet) - 1))] = data.draw(st.integers(0, 255))
    framed = []
    for payload in payloads:
        try:
            framed.append(av1_depayload(bytes(payload)))
        except MalformedPayload:
            continue  # dropped, as the receiver drops it
    decoder = _shared_decoder()
    with contextlib.suppress(av.FFmpegError):
        decoder.decode(JitterFrame(data=b"".join(framed), timestamp=0))


@functools.cache
def _real_units() -> list[tuple[bytes, bool]]:
    return _units(3)


@functools.cache
def _shared_decoder() -> Av1Decoder:
    return Av1Decoder()

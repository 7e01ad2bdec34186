"""Replays of real SVC streams: what lkdesk's receiver got from Chromium through the server.

captures/*.rtp.gz hold the RTP packets (sequence number, timestamp, marker, payload) that
lkdesk received, six seconds each, from livekit-client 2.23 in Chromium 156 publishing a
960x540 blue canvas at 15 fps with VP9 L3T3_KEY, VP9 L3T3 or AV1 L3T3_KEY and no backup
codec, forwarded by livekit-server 1.13.5 (captured with a scratch hook on
``VideoRecovery._on_packet``). They show the forwarding the depacketisers must handle:
in L3T3 every picture carries all three layer frames with the marker on the last; in
L3T3_KEY delta pictures carry only the top layer's frame.

Each replay goes through the depacketiser, the frame assembler (with the payload facts)
and the decoder, as aiortc's receiver does it, and must decode every picture in blue, at
960x540 once the server forwards the top layer (the AV1 capture starts on lower ones).
Mutated replays must never raise anything but the errors the receiver handles.
"""

from __future__ import annotations

import functools
import gzip
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import pytest
from aiortc.codecs.base import Decoder
from aiortc.jitterbuffer import JitterFrame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lkdesk.rtc.engine.adapt.frame_assembler import PacketInfo, VideoFrameAssembler
from lkdesk.rtc.engine.adapt.rtp_av1 import av1_depayload
from lkdesk.rtc.engine.adapt.rtp_vp9 import MalformedPayload, vp9_depayload
from lkdesk.rtc.engine.adapt.video_decoders import Av1Decoder, Vp9Decoder
from lkdesk.rtc.engine.adapt.video_payload import info_for

CAPTURES = Path(__file__).parent / "captures"
BLUE = (0, 0, 255)
CODECS: dict[str, tuple[Callable[[bytes], bytes], Callable[[], Decoder]]] = {
    "VP9": (vp9_depayload, Vp9Decoder),
    "AV1": (av1_depayload, Av1Decoder),
}
STREAMS = {
    "vp9_l3t3_key_960x540": "VP9",
    "vp9_l3t3_960x540": "VP9",
    "av1_l3t3_key_960x540": "AV1",
}


@dataclass(frozen=True)
class Captured:
    sequence_number: int
    timestamp: int
    marker: bool
    payload: bytes


@functools.cache
def load(name: str) -> tuple[Captured, ...]:
    blob = gzip.decompress((CAPTURES / f"{name}.rtp.gz").read_bytes())
    packets = []
    pos = 0
    while pos < len(blob):
        seq, timestamp, marker, size = struct.unpack_from(">HIBH", blob, pos)
        pos += 9
        packets.append(Captured(seq, timestamp, bool(marker), blob[pos : pos + size]))
        pos += size
    return tuple(packets)


@dataclass
class Replay:
    decoded: list[av.VideoFrame]
    assembler: VideoFrameAssembler
    decode_ms: list[float]


def replay(codec: str, packets: tuple[Captured, ...] | list[Captured]) -> Replay:
    """Depacketise, assemble and decode ``packets`` as lkdesk's receiver does."""
    depayload, make_decoder = CODECS[codec]
    assembler = VideoFrameAssembler()
    decoder = make_decoder()
    result = Replay([], assembler, [])
    for n, packet in enumerate(packets):
        try:
            data = depayload(packet.payload)
        except MalformedPayload:
            continue  # aiortc drops it (ValueError)
        info = PacketInfo(
            packet.sequence_number,
            packet.timestamp,
            packet.marker,
            data,
            info_for(codec, packet.payload),
        )
        for frame in assembler.insert(info, now=n / 100).frames:
            started = time.perf_counter()
            try:
                decoded = decoder.decode(JitterFrame(frame.data, frame.timestamp))
            except av.FFmpegError:
                continue  # aiortc's decoder thread logs it and goes on
            result.decode_ms.append((time.perf_counter() - started) * 1000)
            result.decoded.extend(decoded)  # type: ignore[arg-type]
    return result


def _mean_rgb(frame: av.VideoFrame) -> tuple[float, ...]:
    rgb = frame.to_ndarray(format="rgb24")
    h, w = rgb.shape[:2]
    centre = rgb[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]
    return tuple(float(c) for c in centre.reshape(-1, 3).mean(axis=0))


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_every_captured_picture_decodes_blue_up_to_the_top_layers_size(name: str) -> None:
    codec = STREAMS[name]
    packets = load(name)
    pictures = len({p.timestamp for p in packets})
    result = replay(codec, packets)
    stats = result.assembler.stats
    assert stats.frames_dropped == 0 and stats.frames_held_back == 0, stats
    assert stats.frames_released == pictures, (stats, pictures)
    assert len(result.decoded) == pictures
    sizes = list(dict.fromkeys((f.width, f.height) for f in result.decoded))
    assert set(sizes) <= {(240, 136), (480, 270), (960, 540)} and sizes[-1] == (960, 540), sizes
    for frame in result.decoded[:: max(1, pictures // 10)]:
        colour = _mean_rgb(frame)
        assert max(abs(c - e) for c, e in zip(colour, BLUE, strict=True)) < 40, colour
    ms = sorted(result.decode_ms)
    median, worst = ms[len(ms) // 2], ms[-1]
    print(f"\n{name}: {pictures} pictures {sizes}, decode median {median:.2f}, max {worst:.2f} ms")


def test_after_a_lost_top_layer_picture_the_next_ones_are_found_and_held_for_a_keyframe() -> None:
    """L3T3_KEY delta pictures hold only the top layer (spatial id 2, no inter-layer
    dependency): its first packet starts a picture, so the assembler resynchronises on it
    and holds the deltas back until a keyframe, instead of finding no start at all."""
    packets = list(load("vp9_l3t3_key_960x540"))
    timestamps = sorted({p.timestamp for p in packets}, key=[p.timestamp for p in packets].index)
    lost = timestamps[10]
    result = replay("VP9", [p for p in packets if p.timestamp != lost])
    stats = result.assembler.stats
    assert stats.frames_dropped == 1, stats
    assert stats.frames_held_back >= 5, stats
    assert result.assembler.waiting_for_keyframe
    assert len(result.decoded) == 10


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(STREAMS)), st.data())
def test_mutated_captures_never_raise_past_the_receiver(name: str, data: st.DataObject) -> None:
    packets = list(load(name)[:30])
    for _ in range(data.draw(st.integers(1, 6))):
        index = data.draw(st.integers(0, len(packets) - 1))
        payload = bytearray(packets[index].payload)
        if payload:
            payload[data.draw(st.integers(0, len(payload) - 1))] = data.draw(st.integers(0, 255))
        cut = data.draw(st.integers(0, len(payload)))
        packets[index] = Captured(
            packets[index].sequence_number,
            packets[index].timestamp,
            packets[index].marker,
            bytes(payload[: max(cut, len(payload) // 2)]),
        )
    replay(STREAMS[name], packets)  # drops what is malformed, raises nothing

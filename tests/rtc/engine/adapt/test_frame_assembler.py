"""The video frame assembler on scripted RTP packet sequences (no network, scripted clock)."""

from __future__ import annotations

from lkdesk.rtc.engine.adapt.frame_assembler import (
    KEYFRAME_REQUEST_INTERVAL_S,
    KEYFRAME_WAIT_LIMIT_S,
    NACK_WINDOW,
    Assembled,
    PacketInfo,
    VideoFrameAssembler,
)
from lkdesk.rtc.engine.adapt.video_payload import UNKNOWN, PayloadInfo
from tests.rtc.engine.adapt.vp8_script import Stream, frame_data, vp8_packets

FRAME_S = 1 / 30


class Feed:
    """Drives an assembler with a scripted clock and records everything it answers."""

    def __init__(self, rtt_s: float = 0.1) -> None:
        self.assembler = VideoFrameAssembler(rtt_s=rtt_s)
        self.now = 100.0
        self.released: list[bytes] = []
        self.requests: list[float] = []
        self.nacks: list[tuple[float, list[int]]] = []

    def send(self, packets: list[PacketInfo], *, skip: set[int] | None = None) -> None:
        for packet in packets:
            if skip and packet.sequence_number in skip:
                continue
            self.record(self.assembler.insert(packet, self.now))

    def record(self, result: Assembled) -> None:
        self.released += [frame.data for frame in result.frames]
        if result.request_keyframe:
            self.requests.append(self.now)
        if result.nacks:
            self.nacks.append((self.now, result.nacks))

    def tick(self, seconds: float = FRAME_S) -> None:
        self.now += seconds


def test_a_frame_is_released_at_its_marker_packet_not_a_frame_later() -> None:
    feed = Feed()
    packets = vp8_packets(0, 0, 3, key=True)
    feed.send(packets[:2])
    assert feed.released == []
    feed.send(packets[2:])
    assert feed.released == [frame_data(0, 3)]


def test_frames_cross_the_sequence_number_wrap() -> None:
    feed = Feed()
    stream = Stream(packets_per_frame=3, first_seq=65533)
    for n in range(4):
        feed.send(stream.frame(n))
        feed.tick()
    assert feed.released == [frame_data(n, 3) for n in range(4)]
    assert feed.requests == []


def test_a_gap_repaired_in_time_keeps_the_frame_and_asks_for_no_keyframe() -> None:
    feed = Feed()
    stream = Stream()
    feed.send(stream.frame(0))
    feed.tick()
    feed.send(stream.frame(1), skip={4})  # frame 1 lacks its middle packet
    feed.tick()
    feed.send(stream.frame(2))
    assert feed.released == [frame_data(0, 3)]  # frame 2 waits behind the gap
    feed.tick(0.05)  # the retransmission comes well inside the repair deadline
    feed.send([stream.frame(1)[1]])
    assert feed.released == [frame_data(n, 3) for n in range(3)]
    assert feed.requests == []
    assert feed.assembler.stats.frames_dropped == 0


def test_a_gap_never_repaired_drops_the_frame_and_requests_one_keyframe_per_interval() -> None:
    feed = Feed(rtt_s=0.1)
    stream = Stream()
    feed.send(stream.frame(0))
    frame_no = 1
    lost_at = None
    # 30 fps of delta frames; packet 4 (frame 1) is lost for good.
    while feed.now < 100.0 + 1.0:
        feed.tick()
        feed.send(stream.frame(frame_no), skip={4})
        if lost_at is None:
            lost_at = feed.now
        frame_no += 1
    assert lost_at is not None
    # Frame 1 was given up after the repair deadline, every later delta held back.
    assert feed.released == [frame_data(0, 3)]
    stats = feed.assembler.stats
    assert stats.frames_dropped == 1
    assert stats.frames_held_back == frame_no - 2
    deadline = feed.assembler.repair_deadline_s
    assert lost_at + deadline <= feed.requests[0] <= lost_at + deadline + FRAME_S
    gaps = [b - a for a, b in zip(feed.requests, feed.requests[1:], strict=False)]
    assert gaps and all(
        KEYFRAME_REQUEST_INTERVAL_S <= g < KEYFRAME_REQUEST_INTERVAL_S + FRAME_S for g in gaps
    )
    # The keyframe ends the wait: it and the deltas after it are released, requests stop.
    feed.tick()
    feed.send(stream.frame(frame_no, key=True))
    feed.tick()
    feed.send(stream.frame(frame_no + 1))
    assert feed.released[1:] == [frame_data(frame_no, 3), frame_data(frame_no + 1, 3)]
    requests = len(feed.requests)
    for n in range(frame_no + 2, frame_no + 20):
        feed.tick()
        feed.send(stream.frame(n))
    assert len(feed.requests) == requests


def test_an_outage_longer_than_the_nack_window_is_given_up_at_the_first_new_packet() -> None:
    feed = Feed()
    stream = Stream()
    feed.send(stream.frame(0))
    feed.tick()
    feed.send(stream.frame(1)[:2])  # the outage starts in the middle of frame 1
    feed.tick(5.0)
    after = 2 + (NACK_WINDOW * 2) // 3  # the first frame after the outage, far past the window
    feed.send(stream.frame(after)[:1])
    assert feed.assembler.stats.frames_dropped == 1
    assert feed.requests == [feed.now]


def test_retransmissions_are_asked_for_again_every_rtt_until_the_packet_comes() -> None:
    feed = Feed(rtt_s=0.1)
    stream = Stream()
    feed.send(stream.frame(0))
    feed.send(stream.frame(1), skip={4})  # found missing now; aiortc sends the first NACK
    assert feed.nacks == []
    feed.tick(0.05)
    feed.send(stream.frame(2))
    assert feed.nacks == []
    feed.tick(0.06)
    feed.send(stream.frame(3))
    assert feed.nacks == [(feed.now, [4])]
    feed.tick(0.05)
    feed.send(stream.frame(4))
    assert len(feed.nacks) == 1
    feed.send([stream.frame(1)[1]])  # repaired
    feed.tick(0.2)
    feed.send(stream.frame(5))
    assert len(feed.nacks) == 1
    assert feed.released == [frame_data(n, 3) for n in range(6)]


def test_a_decoder_error_holds_delta_frames_and_requests_a_keyframe_at_once() -> None:
    feed = Feed()
    stream = Stream()
    feed.send(stream.frame(0))
    feed.send(stream.frame(1))
    feed.assembler.decoder_failed(feed.now)
    feed.tick()
    feed.send(stream.frame(2))
    assert feed.requests == [feed.now]
    assert feed.released == [frame_data(0, 3), frame_data(1, 3)]
    feed.tick()
    feed.send(stream.frame(3, key=True))
    assert feed.released[-1] == frame_data(3, 3)


def test_a_stream_that_starts_with_a_keyframe_asks_for_nothing() -> None:
    feed = Feed()
    stream = Stream()
    for n in range(5):
        feed.send(stream.frame(n))
        feed.tick()
    assert feed.requests == []
    assert feed.released == [frame_data(n, 3) for n in range(5)]


def test_a_stream_joined_mid_frame_waits_for_a_keyframe_and_asks_for_one() -> None:
    feed = Feed()
    stream = Stream()
    feed.send(stream.frame(7, key=False)[1:])  # the tail of a frame, then deltas
    feed.tick()
    feed.send(stream.frame(8, key=False))
    assert feed.released == []
    assert feed.requests == [feed.now]
    feed.tick()
    feed.send(stream.frame(9, key=True))
    assert feed.released == [frame_data(9, 3)]


def test_delta_frames_flow_again_if_no_keyframe_comes_for_the_wait_limit() -> None:
    feed = Feed()
    stream = Stream()
    feed.send(stream.frame(0))
    feed.assembler.decoder_failed(feed.now)
    frame_no = 1
    while feed.now < 100.0 + KEYFRAME_WAIT_LIMIT_S + 0.5:
        feed.tick()
        feed.send(stream.frame(frame_no))
        frame_no += 1
    assert feed.released[0] == frame_data(0, 3)
    assert feed.released[-1] == frame_data(frame_no - 1, 3)
    assert len(feed.requests) >= KEYFRAME_WAIT_LIMIT_S / KEYFRAME_REQUEST_INTERVAL_S


def test_duplicates_and_packets_of_released_frames_are_ignored() -> None:
    feed = Feed()
    stream = Stream()
    feed.send(stream.frame(0))
    feed.send(stream.frame(0))
    feed.send(stream.frame(1))
    feed.send(stream.frame(1)[:1])
    assert feed.released == [frame_data(0, 3), frame_data(1, 3)]
    assert feed.assembler.stats.late_packets == 4


def test_without_a_codec_hint_a_new_timestamp_ends_the_frame() -> None:
    feed = Feed()
    plain = [
        PacketInfo(
            sequence_number=seq, timestamp=ts, marker=False, data=bytes([seq]), payload=UNKNOWN
        )
        for seq, ts in ((10, 0), (11, 0), (12, 3000), (13, 3000), (14, 6000))
    ]
    feed.send(plain)
    assert feed.released == [bytes([10, 11]), bytes([12, 13])]
    assert feed.requests == []


def test_a_picture_of_several_layer_frames_says_where_each_begins() -> None:
    """VP9 SVC: one picture, three layer frames (B=1 at 10, 12, 13); E2EE seals each on its
    own, so the decryption needs their sizes."""
    assembler = VideoFrameAssembler()
    begins = {10: PayloadInfo(True, True, True), 12: PayloadInfo(False, None, True),
              13: PayloadInfo(False, None, True)}  # fmt: skip
    sizes = {10: 5, 11: 7, 12: 3, 13: 4}
    frames = []
    for seq in range(10, 14):
        info = PacketInfo(
            sequence_number=seq, timestamp=0, marker=seq == 13, data=bytes(sizes[seq]),
            payload=begins.get(seq, PayloadInfo(False, None)),
        )  # fmt: skip
        frames += assembler.insert(info, 100.0).frames
    assert [(len(f.data), f.part_sizes) for f in frames] == [(19, (12, 3, 4))]


def test_a_frame_in_one_part_carries_no_sizes() -> None:
    assembler = VideoFrameAssembler()
    packets = vp8_packets(0, 0, 3, key=True)
    frames = [f for p in packets for f in assembler.insert(p, 100.0).frames]
    assert len(frames) == 1 and frames[0].part_sizes == ()

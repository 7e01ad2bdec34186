"""TWCC feedback: parsing what the draft's encoding says, and matching it to our sends."""

from __future__ import annotations

import struct

import pytest

from lkdesk.rtc.engine.congestion import twcc
from tests.rtc.engine.congestion.link import feedback_packet


def test_feedback_with_every_chunk_kind_parses_to_arrival_times() -> None:
    # 20 packets from 65534 (wrapping): a run of 2 "small delta", a 1-bit vector of 14,
    # a 2-bit vector of 7 (only 4 of it count).
    body = struct.pack("!LLHHL", 1, 2, 65534, 20, (3 << 8) | 7)  # reference 3 × 64 ms
    body += struct.pack("!H", (1 << 13) | 2)
    body += struct.pack("!H", 0x8000 | 0b10100000000000)  # received, lost, received, lost...
    body += struct.pack("!H", 0xC000 | (2 << 12) | (0 << 10) | (1 << 8) | (0 << 6))
    body += bytes([4, 8, 12, 16])  # small deltas: 1, 2, 3, 4 ms
    body += struct.pack("!h", -8)  # large (negative) delta: -2 ms
    body += bytes([40])  # small: 10 ms
    body += b"\x00" * (-len(body) % 4)
    feedback = twcc.parse_feedback(body)
    assert feedback.media_ssrc == 2 and feedback.feedback_count == 7
    received = {seq: at for seq, at in feedback.packets if at is not None}
    start = 3 * 64_000
    assert received == {
        65534: start + 1_000,
        65535: start + 3_000,
        0: start + 6_000,
        2: start + 10_000,
        14: start + 8_000,
        16: start + 18_000,
    }
    assert len(feedback.packets) == 20
    assert [seq for seq, _at in feedback.packets][:3] == [65534, 65535, 0]


def test_feedback_built_by_a_receiver_round_trips() -> None:
    arrivals = [1_000_000 + 5_000 * i if i % 7 else None for i in range(200)]
    arrivals[50] = arrivals[49] - 3_000 if arrivals[49] else None  # reordered: negative delta
    arrivals[120] = (arrivals[119] or 0) + 90_000  # a long gap: large delta
    body = feedback_packet(40_000, arrivals, count=3)
    feedback = twcc.parse_feedback(body[4:])
    got = [a for _s, a in feedback.packets]
    expected = [None if a is None else a - a % 250 for a in arrivals]
    assert [s for s, _a in feedback.packets] == [(40_000 + i) & 0xFFFF for i in range(200)]
    assert got == expected


def test_truncated_feedback_is_refused() -> None:
    body = feedback_packet(7, [1000, 2000, 3000], count=0)[4:]
    with pytest.raises(twcc.TwccError):
        twcc.parse_feedback(body[:-4] if len(body) > 20 else body[:17])


def test_feedback_is_found_in_a_compound_rtcp_packet() -> None:
    receiver_report = struct.pack("!BBHL", 0x80, 201, 1, 99)
    compound = receiver_report + feedback_packet(3, [10_000, None, 30_000], count=1)
    bodies = twcc.feedback_bodies(compound)
    assert len(bodies) == 1
    assert [a for _s, a in twcc.parse_feedback(bodies[0]).packets] == [10_000, None, 30_000]


def test_history_matches_feedback_across_the_16_bit_wrap_and_counts_a_loss_once() -> None:
    history = twcc.SendHistory()
    for i in range(70_000):
        history.add(i * 100, 1000)
    seqs = [(70_000 - 10 + i) & 0xFFFF for i in range(10)]
    first = twcc.TwccFeedback(
        0, 0, tuple((s, None if i == 3 else 500 * i) for i, s in enumerate(seqs))
    )
    results = history.match(first)
    assert [r.sent.sequence for r in results] == list(range(69_990, 70_000))
    assert [r.arrival_us is None for r in results].count(True) == 1
    again = twcc.TwccFeedback(0, 1, ((seqs[3], None),))
    assert history.match(again) == []  # reported lost again: not a second loss

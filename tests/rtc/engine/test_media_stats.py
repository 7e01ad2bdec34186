"""lkdesk's interarrival jitter stays sane where aiortc's does not (RFC 3550 A.8)."""

from __future__ import annotations

from lkdesk.rtc.engine.adapt.media_stats import InterarrivalJitter, check_compatible

CLOCK = 48_000
STEP = 960  # 20 ms of audio


def test_evenly_spaced_packets_have_no_jitter_even_across_a_timestamp_wrap() -> None:
    jitter = InterarrivalJitter(CLOCK)
    timestamp = 2**32 - 5 * STEP  # wraps after five packets
    for n in range(20):
        jitter.add(n * 0.020, timestamp % 2**32)
        timestamp += STEP
    assert jitter.value < 1.0  # clock units, i.e. well under a millisecond


def test_a_timestamp_jump_is_a_discontinuity_not_jitter() -> None:
    jitter = InterarrivalJitter(CLOCK)
    for n in range(10):
        jitter.add(n * 0.020, 1000 + n * STEP)
    jitter.add(0.200, 1000 + 9 * STEP + 60 * CLOCK)  # the sender started anew a minute on
    jitter.add(0.220, 1000 + 10 * STEP + 60 * CLOCK)
    assert jitter.value < 1.0


def test_uneven_arrival_gives_the_rfc_3550_estimate() -> None:
    jitter = InterarrivalJitter(CLOCK)
    for n in range(400):
        late = 0.010 if n % 2 else 0.0  # every other packet 10 ms late
        jitter.add(n * 0.020 + late, n * STEP)
    # each transit difference is 10 ms; the running estimate converges to it
    assert abs(jitter.value / CLOCK - 0.010) < 0.0005


def test_the_internals_read_are_still_there() -> None:
    check_compatible()

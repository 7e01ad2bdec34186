"""The uplink estimate against a simulated bottleneck: backs off, holds, comes back.

The link (link.py) is a FIFO with a 100 ms queue (like the tc tbf of the integration test)
and optional random loss; the sender sends what the estimate allows in 1200-byte packets,
the receiver reports every 50 ms, and every 3 s a 30 ms probe at twice the estimate goes
out (what UplinkController does). Figures asserted are the issue's, with margins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lkdesk.rtc.engine.congestion.rate_control import RateController
from lkdesk.rtc.engine.congestion.twcc import PacketResult, SendHistory, SentPacket
from tests.rtc.engine.congestion.link import Bottleneck

PACKET = 1200
TICK_US = 5_000
FEEDBACK_US = 50_000


@dataclass
class Run:
    controller: RateController
    link: Bottleneck
    loss: float = 0.0
    app_limit_bps: int | None = None
    now_us: int = 0
    history: SendHistory = field(default_factory=SendHistory)
    in_flight: list[tuple[SentPacket, int | None]] = field(default_factory=list)
    credit: float = 0.0
    next_feedback_us: int = FEEDBACK_US
    next_probe_us: int = 1_000_000
    probes: dict[int, tuple[int, list[tuple[int, int]]]] = field(default_factory=dict)
    cluster: int = 0
    timeline: list[tuple[float, int]] = field(default_factory=list)

    def send(self, size: int, cluster: int = -1) -> None:
        self.history.add(self.now_us, size, cluster)
        sent = SentPacket(self.history._next - 1, self.now_us, size, cluster)
        self.in_flight.append((sent, self.link.carry(self.now_us, size, self.loss)))
        if cluster >= 0:
            self.probes[cluster][1].append((self.now_us, size))

    def probe(self) -> None:
        target = self.controller.target_bps
        if target >= 0.9 * self.controller.max_bps:
            return
        self.cluster += 1
        self.probes[self.cluster] = (self.now_us, [])
        rate = min(2 * target, self.controller.max_bps)
        for i in range(max(6, rate * 30 // 1000 // 8 // PACKET)):
            self.now_us += PACKET * 8 * 1_000_000 // rate if i else 0
            self.send(PACKET, self.cluster)

    def step(self) -> None:
        self.now_us += TICK_US
        rate = self.controller.target_bps
        if self.app_limit_bps is not None:
            rate = min(rate, self.app_limit_bps)
        self.credit += rate * TICK_US / 8 / 1_000_000
        while self.credit >= PACKET:
            self.credit -= PACKET
            self.send(PACKET)
        if self.now_us >= self.next_probe_us:
            self.next_probe_us = self.now_us + 3_000_000
            self.probe()
        if self.now_us >= self.next_feedback_us:
            self.next_feedback_us += FEEDBACK_US
            due = [(s, a) for s, a in self.in_flight if a is None or a <= self.now_us]
            self.in_flight = [
                (s, a) for s, a in self.in_flight if a is not None and a > self.now_us
            ]
            results = [PacketResult(s, a) for s, a in sorted(due, key=lambda p: p[0].sequence)]
            if results:
                self.controller.on_results(results, self.now_us)
        for cluster, (at, sent) in list(self.probes.items()):
            if self.now_us - at > 1_000_000:
                del self.probes[cluster]
                self.controller.probe_result(cluster, sent)
        self.timeline.append((self.now_us / 1e6, self.controller.target_bps))

    def run(self, seconds: float) -> list[int]:
        end = self.now_us + int(seconds * 1_000_000)
        start = len(self.timeline)
        while self.now_us < end:
            self.step()
        return [t for _s, t in self.timeline[start:]]


def test_estimate_backs_off_to_a_capped_link_and_holds_near_it() -> None:
    run = Run(RateController(2_000_000, 100_000, 2_500_000), Bottleneck(500_000))
    first = run.run(3.0)
    drops, sent = run.link.drops, run.history._next
    steady = run.run(20.0)
    assert min(first) < 600_000, "did not back off within 3 s"
    average = sum(steady) / len(steady)
    assert 250_000 <= average <= 560_000, f"average {average:.0f} bps on a 500 kbit/s link"
    dropped = (run.link.drops - drops) / (run.history._next - sent)
    assert dropped < 0.03, f"{dropped:.1%} of the packets overflowed the queue"


def test_estimate_comes_back_quickly_when_the_bottleneck_goes() -> None:
    run = Run(RateController(400_000, 100_000, 2_500_000), Bottleneck(500_000))
    run.run(10.0)
    run.link.rate_bps = 20_000_000
    after = run.run(15.0)
    recovered = next((i for i, t in enumerate(after) if t > 1_200_000), None)
    assert recovered is not None, f"still {after[-1]} bps 15 s after the cap went"
    assert recovered * TICK_US / 1e6 < 10.0


def test_random_loss_of_two_percent_does_not_pull_the_estimate_down() -> None:
    run = Run(RateController(2_000_000, 100_000, 2_500_000), Bottleneck(20_000_000), loss=0.02)
    rates = run.run(15.0)
    assert min(rates[len(rates) // 2 :]) > 1_500_000


def test_heavy_loss_cuts_the_estimate() -> None:
    run = Run(RateController(2_000_000, 100_000, 2_500_000), Bottleneck(20_000_000), loss=0.25)
    rates = run.run(6.0)
    assert rates[-1] < 1_000_000


def test_a_sender_that_sends_little_keeps_the_estimate_it_had() -> None:
    run = Run(RateController(2_000_000, 100_000, 2_500_000), Bottleneck(20_000_000))
    run.run(3.0)
    run.app_limit_bps = 160_000  # a paused layer: only the smallest one is encoded
    rates = run.run(10.0)
    assert min(rates) >= 1_500_000

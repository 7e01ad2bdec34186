"""From TWCC results to a target send bitrate: delay, loss and probes together.

* **Delay** (:class:`~.delay.DelayDetector`) drives AIMD as in libwebrtc's
  ``AimdRateControl``: over-use cuts the rate to 85 % of what actually arrived; otherwise
  the rate grows 8 % a second, or about a packet per round trip when it is close to the
  capacity last seen congested; it never runs far ahead of what is really being sent.
* **Loss** over the last second: above 10 % the rate drops by half the loss; below 5 % it
  is ignored. libwebrtc's classic thresholds are 2 %/10 %; with 2 % random loss (a poor
  Wi-Fi) a 2 % threshold would freeze the rate, so lkdesk tolerates up to 5 %.
* **Probes**: the pacer sends a short burst above the current rate; if it arrives as fast
  as it left, the path has room and the estimate jumps to it. That is how the rate comes
  back within seconds (not minutes of 8 % steps) after a bottleneck goes away.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass

from lkdesk.rtc.engine.congestion.delay import DelayDetector, Usage
from lkdesk.rtc.engine.congestion.twcc import PacketResult

logger = logging.getLogger(__name__)

DECREASE_FACTOR = 0.85
INCREASE_PER_S = 1.08
LOSS_HIGH = 0.10
LOSS_LOW = 0.05
ACKED_WINDOW_US = 750_000
LOSS_WINDOW_US = 1_000_000
LOSS_SETTLE_US = 2_000_000
ABSOLUTE_MAX_BPS = 20_000_000
PROBE_BLAME_US = 3_000_000
MIN_PROBE_PACKETS = 5


@dataclass(frozen=True, slots=True)
class Estimate:
    target_bps: int
    acked_bps: int | None
    loss: float
    usage: Usage


class _Throughput:
    """Bytes that arrived per second over a sliding window of receiver time."""

    def __init__(self) -> None:
        self._arrivals: deque[tuple[int, int]] = deque()
        self._bytes = 0

    def add(self, arrival_us: int, size: int) -> None:
        self._arrivals.append((arrival_us, size))
        self._bytes += size
        newest = max(arrival_us, self._arrivals[-1][0])
        while self._arrivals and newest - self._arrivals[0][0] > ACKED_WINDOW_US:
            self._bytes -= self._arrivals.popleft()[1]

    def rate_bps(self) -> int | None:
        if len(self._arrivals) < 10:
            return None
        span = self._arrivals[-1][0] - self._arrivals[0][0]
        if span < ACKED_WINDOW_US // 2:
            return None
        return int((self._bytes - self._arrivals[0][1]) * 8 * 1_000_000 / span)


class _Loss:
    def __init__(self) -> None:
        self._reports: deque[tuple[int, bool]] = deque()

    def add(self, now_us: int, lost: bool) -> None:
        self._reports.append((now_us, lost))
        while self._reports and now_us - self._reports[0][0] > LOSS_WINDOW_US:
            self._reports.popleft()

    def fraction(self) -> float:
        if len(self._reports) < 20:
            return 0.0
        return sum(1 for _t, lost in self._reports if lost) / len(self._reports)


class RateController:
    """The send-side bandwidth estimate of one connection (all times in µs, our clock)."""

    def __init__(self, start_bps: int, min_bps: int, max_bps: int) -> None:
        self.min_bps = min_bps
        self.max_bps = max_bps
        self._rate = float(start_bps)
        self._detector = DelayDetector()
        self._acked = _Throughput()
        self._loss = _Loss()
        self._link_kbps: float | None = None  # mean acked rate at past decreases
        self._link_var = 0.4
        self._last_change_us: int | None = None
        self._last_loss_cut_us = -(10**12)
        self._rtt_us = 100_000
        self._clusters: dict[int, list[PacketResult]] = {}
        self._first_feedback_us: int | None = None
        self.last_overuse_us = -(10**12)
        self.last_probe_raise_us = -(10**12)
        self.probe_failures = 0

    @property
    def target_bps(self) -> int:
        """The estimate, limited to what the senders can use now."""
        return int(min(self._rate, self.max_bps))

    def set_rtt(self, rtt_s: float) -> None:
        self._rtt_us = int(min(max(rtt_s, 0.005), 2.0) * 1_000_000)

    def set_bounds(self, min_bps: int, max_bps: int) -> None:
        """What the senders can use at most now. The estimate itself is kept: when a paused
        layer comes back, the path it measured is still there."""
        self.min_bps, self.max_bps = min_bps, max(max_bps, min_bps)

    def on_results(self, results: list[PacketResult], now_us: int) -> Estimate:
        """Apply one feedback's packets (in sequence order)."""
        for result in results:
            self._loss.add(now_us, result.arrival_us is None)
            if result.arrival_us is None:
                continue
            sent = result.sent
            self._detector.add(sent.send_us, result.arrival_us, sent.size)
            self._acked.add(result.arrival_us, sent.size)
            if sent.cluster >= 0:
                self._clusters.setdefault(sent.cluster, []).append(result)
        acked = self._acked.rate_bps()
        self._apply_delay(acked, now_us)
        loss = self._loss.fraction()
        self._apply_loss(loss, acked, now_us)
        self._rate = min(max(self._rate, self.min_bps), ABSOLUTE_MAX_BPS)
        return Estimate(self.target_bps, acked, loss, self._detector.usage)

    def _apply_delay(self, acked: int | None, now_us: int) -> None:
        usage = self._detector.usage
        last, self._last_change_us = self._last_change_us, now_us
        if usage is Usage.OVERUSING:
            # One cut per round trip: the queue needs that long to show the first one.
            if acked is not None and now_us - self.last_overuse_us > self._rtt_us + 100_000:
                logger.debug(
                    "over-use (trend %.4f, threshold %.1f): %d -> %d bps",
                    self._detector.trend, self._detector.threshold, self._rate,
                    min(self._rate, DECREASE_FACTOR * acked),
                )  # fmt: skip
                self.last_overuse_us = now_us
                if now_us - self.last_probe_raise_us < PROBE_BLAME_US:
                    self.probe_failures += 1  # the probe's finding did not hold
                self._note_capacity(acked / 1000)
                self._rate = min(self._rate, DECREASE_FACTOR * acked)
            return
        if usage is Usage.UNDERUSING or last is None or not self.loss_allows_increase():
            return  # hold: let the queue drain (or the loss settle) before growing again
        elapsed_s = min(now_us - last, 1_000_000) / 1_000_000
        if acked is not None and self._link_kbps is not None:
            std = math.sqrt(self._link_var * self._link_kbps)
            if acked / 1000 > self._link_kbps + 3 * std:
                self._link_kbps = None  # more gets through than the old bottleneck let
        if self._near_capacity():
            packets_per_s = 1_000_000 / (self._rtt_us + 100_000)
            grown = self._rate + max(4000.0, 1200 * 8 * packets_per_s) * elapsed_s
        else:
            grown = self._rate * INCREASE_PER_S**elapsed_s
        if acked is not None:
            # never grow far above what is really sent (an encoder that sends little
            # says nothing about the path); but an app-limited sender keeps its estimate
            grown = min(grown, max(self._rate, 1.5 * acked + 10_000))
        self._rate = grown

    def _near_capacity(self) -> bool:
        if self._link_kbps is None:
            return False
        std = math.sqrt(self._link_var * self._link_kbps)
        return abs(self._rate / 1000 - self._link_kbps) < 3 * std

    def _note_capacity(self, acked_kbps: float) -> None:
        if self._link_kbps is None:
            self._link_kbps = acked_kbps
            return
        if abs(acked_kbps - self._link_kbps) > 3 * math.sqrt(self._link_var * self._link_kbps):
            self._link_kbps = acked_kbps  # the link changed: forget what we knew
            return
        self._link_kbps = 0.95 * self._link_kbps + 0.05 * acked_kbps
        norm = max(self._link_kbps, 1.0)
        error = self._link_kbps - acked_kbps
        self._link_var = min(max(0.95 * self._link_var + 0.05 * error * error / norm, 0.4), 2.5)

    def _apply_loss(self, loss: float, acked: int | None, now_us: int) -> None:
        if self._first_feedback_us is None:
            self._first_feedback_us = now_us
        if loss <= LOSS_HIGH or now_us - self._first_feedback_us < LOSS_SETTLE_US:
            return  # the server misses each new stream's first packets (SSRC discovery)
        if now_us - self._last_loss_cut_us < 300_000 + self._rtt_us:
            return
        self._last_loss_cut_us = now_us
        base = min(self._rate, float(acked)) if acked is not None else self._rate
        self._rate = base * (1 - 0.5 * loss)

    def loss_allows_increase(self) -> bool:
        return self._loss.fraction() < LOSS_LOW

    # ----- probes ------------------------------------------------------------------------

    def probe_result(self, cluster: int, sent: list[tuple[int, int]]) -> int | None:
        """What a finished probe measured (bps), raising the estimate when it shows room.

        ``sent``: (send time, size) of every packet of the cluster. Needs most of them
        reported; the rate is the lower of how fast they left and how fast they arrived.
        """
        received = self._clusters.pop(cluster, [])
        if len(sent) < MIN_PROBE_PACKETS or len(received) < 0.8 * len(sent):
            return None
        sends = sorted(t for t, _s in sent)
        arrivals = sorted(r.arrival_us for r in received if r.arrival_us is not None)
        send_span = sends[-1] - sends[0]
        arrival_span = arrivals[-1] - arrivals[0]
        if send_span <= 0 or arrival_span <= 0:
            return None
        total = sum(s for _t, s in sent)
        send_bps = (total - sent[-1][1]) * 8 * 1_000_000 / send_span
        got = sum(r.sent.size for r in received)
        recv_bps = (got - received[0].sent.size) * 8 * 1_000_000 / arrival_span
        measured = min(send_bps, recv_bps)
        if recv_bps < 0.9 * send_bps:
            measured = 0.95 * recv_bps  # the path is full: it carries what arrived
        if measured > self._rate and self.loss_allows_increase():
            self._rate = min(measured, float(ABSOLUTE_MAX_BPS))
            self.last_probe_raise_us = sent[-1][0]
            if recv_bps >= 0.9 * send_bps:
                self._link_kbps = None  # room beyond the old capacity: grow multiplicatively
        return int(measured)

    def drop_probe(self, cluster: int) -> None:
        self._clusters.pop(cluster, None)

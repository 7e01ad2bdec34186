"""Delay-based over-use detection: is the queue at the bottleneck growing?

libwebrtc's approach (modules/congestion_controller/goog_cc, trendline estimator): packets
sent within 5 ms form a group; for consecutive groups the change in one-way delay is
``(arrival delta) - (send delta)``. Accumulated and smoothed, its slope over the last 20
groups says whether the queue grows (over-use), drains (under-use) or holds; the slope is
compared with a threshold that adapts to the path's jitter, so a noisy but uncongested link
does not look congested. Arrival times are the receiver's clock, send times ours: only
differences are used, so the clocks need no relation.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

GROUP_SPAN_US = 5_000
WINDOW = 20
SMOOTHING = 0.9
THRESHOLD_GAIN = 4.0
K_UP = 0.0087
K_DOWN = 0.039
OVERUSE_TIME_MS = 10.0
MAX_DELTAS = 60


class Usage(Enum):
    NORMAL = "normal"
    OVERUSING = "overusing"
    UNDERUSING = "underusing"


@dataclass(slots=True)
class _Group:
    first_send_us: int
    last_send_us: int
    last_arrival_us: int
    size: int


class DelayDetector:
    """Feed received packets in send order; :attr:`usage` is the current verdict."""

    def __init__(self) -> None:
        self._current: _Group | None = None
        self._previous: _Group | None = None
        self._first_arrival_us: int | None = None
        self._accumulated = 0.0
        self._smoothed = 0.0
        self._samples: deque[tuple[float, float]] = deque(maxlen=WINDOW)
        self._deltas = 0
        self.threshold = 12.5
        self._last_threshold_update_ms: float | None = None
        self._overuse_ms = 0.0
        self._overuse_count = 0
        self._previous_trend = 0.0
        self.trend = 0.0
        self.usage = Usage.NORMAL

    def add(self, send_us: int, arrival_us: int, size: int) -> None:
        group = self._current
        if group is None:
            self._current = _Group(send_us, send_us, arrival_us, size)
            return
        if send_us - group.first_send_us <= GROUP_SPAN_US:
            group.last_send_us = max(group.last_send_us, send_us)
            group.last_arrival_us = max(group.last_arrival_us, arrival_us)
            group.size += size
            return
        if self._previous is not None:
            send_delta = (group.last_send_us - self._previous.last_send_us) / 1000
            arrival_delta = (group.last_arrival_us - self._previous.last_arrival_us) / 1000
            if send_delta > 0:
                self._update(arrival_delta - send_delta, group.last_arrival_us / 1000)
        self._previous = group
        self._current = _Group(send_us, send_us, arrival_us, size)

    def _update(self, delay_delta_ms: float, arrival_ms: float) -> None:
        if self._first_arrival_us is None:
            self._first_arrival_us = int(arrival_ms * 1000)
        self._deltas = min(self._deltas + 1, MAX_DELTAS)
        self._accumulated += delay_delta_ms
        self._smoothed = SMOOTHING * self._smoothed + (1 - SMOOTHING) * self._accumulated
        self._samples.append((arrival_ms - self._first_arrival_us / 1000, self._smoothed))
        if len(self._samples) == WINDOW:
            self.trend = _slope(self._samples)
        self._detect(delay_delta_ms, arrival_ms)

    def _detect(self, delay_delta_ms: float, now_ms: float) -> None:
        modified = self._deltas * self.trend * THRESHOLD_GAIN
        if modified > self.threshold:
            self._overuse_ms += max(delay_delta_ms, 1.0)
            self._overuse_count += 1
            if (
                self._overuse_ms > OVERUSE_TIME_MS
                and self._overuse_count > 1
                and self.trend >= self._previous_trend
            ):
                self._overuse_ms = 0.0
                self._overuse_count = 0
                self.usage = Usage.OVERUSING
        elif modified < -self.threshold:
            self._overuse_ms = 0.0
            self._overuse_count = 0
            self.usage = Usage.UNDERUSING
        else:
            self._overuse_ms = 0.0
            self._overuse_count = 0
            self.usage = Usage.NORMAL
        self._previous_trend = self.trend
        self._adapt_threshold(abs(modified), now_ms)

    def _adapt_threshold(self, magnitude: float, now_ms: float) -> None:
        last, self._last_threshold_update_ms = self._last_threshold_update_ms, now_ms
        if last is None or magnitude > self.threshold + 15.0:
            return  # a spike (e.g. a route change) must not drag the threshold up
        k = K_DOWN if magnitude < self.threshold else K_UP
        elapsed = min(now_ms - last, 100.0)
        self.threshold += k * (magnitude - self.threshold) * elapsed
        self.threshold = min(max(self.threshold, 6.0), 600.0)


def _slope(points: deque[tuple[float, float]]) -> float:
    """Least-squares slope of (x, y) points."""
    n = len(points)
    mean_x = sum(p[0] for p in points) / n
    mean_y = sum(p[1] for p in points) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in points)
    den = sum((x - mean_x) ** 2 for x, _y in points)
    return num / den if den else 0.0

"""The pacer: video packets leave at a steady rate instead of in one burst per frame.

A 720p keyframe is tens of kilobytes; written to the socket at once it overflows the queue
of a 500 kbit/s uplink and takes the audio packets queued behind it down too. So every
video packet (media, retransmission, probe) goes through this queue and leaves at the
pacing rate, a little above the target so the queue drains between frames; the rate rises
when a backlog builds (up to twice the pace; the senders skip frames while it lasts).
Retransmissions go first, then a simulcast track's smallest layer (what every subscriber
can fall back to), then the rest, probes last. Audio never enters it: it is sent as soon
as it is encoded.

Each packet gets its transport-wide sequence number when it leaves (its TWCC identity),
and the send time and size are recorded in the :class:`~.twcc.SendHistory`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from lkdesk.rtc.engine.congestion.twcc import SendHistory

logger = logging.getLogger(__name__)

#: Queue order: retransmissions, the base layer, upper layers (and single layers), probes.
RETRANSMISSION, BASE, MEDIA, PADDING = 0, 1, 2, 3
#: Bytes a packet costs on the wire beyond its RTP payload: RTP header and extensions,
#: SRTP tag, UDP and IPv4.
OVERHEAD = 12 + 16 + 10 + 8 + 20
TICK_S = 0.005
MAX_BURST_S = 0.02
MAX_CATCH_UP_S = 0.1
DRAIN_S = 0.3


@dataclass(slots=True)
class Outgoing:
    """A packet waiting to be paced; ``emit(seq16)`` stamps and sends it."""

    size: int
    emit: Callable[[int], Awaitable[None]]
    priority: int = MEDIA
    owner: object = None  # what :meth:`Pacer.discard` can drop it by (a layer)
    queued_at: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class _Probe:
    cluster: int
    rate_bps: int
    bytes_left: int
    packets_left: int
    sent: list[tuple[int, int]] = field(default_factory=list)


class Pacer:
    """Leaky bucket over a priority queue. Run :meth:`run` as a task owned by its user."""

    def __init__(
        self,
        history: SendHistory,
        padding: Callable[[int], Outgoing | None],
        on_probe_sent: Callable[[int, list[tuple[int, int]]], None],
    ) -> None:
        self._history = history
        self._padding = padding
        self._on_probe_sent = on_probe_sent
        self._queues: tuple[deque[Outgoing], ...] = (deque(), deque(), deque(), deque())
        self._queued_bytes = 0
        self._queued = [0, 0, 0, 0]
        self._wake = asyncio.Event()
        self.rate_bps = 300_000
        self._budget = 0.0
        self._last: float | None = None
        self._probe: _Probe | None = None
        self._next_cluster = 0
        self.sent_bytes = 0
        self.padding_bytes = 0

    # ----- what users see ------------------------------------------------------------------

    def enqueue(self, item: Outgoing) -> None:
        self._queues[item.priority].append(item)
        self._queued_bytes += item.size
        self._queued[item.priority] += item.size
        self._wake.set()

    def discard(self, owner: object) -> int:
        """Drop the queued media of ``owner`` (a layer that stopped); how many packets."""
        dropped = 0
        for queue in self._queues[:PADDING]:
            kept = [item for item in queue if item.owner is not owner]
            dropped += len(queue) - len(kept)
            for item in queue:
                if item.owner is owner:
                    self._queued_bytes -= item.size
                    self._queued[item.priority] -= item.size
            queue.clear()
            queue.extend(kept)
        return dropped

    def backlog_s(self, upto: int = MEDIA) -> float:
        """How long the queued packets of priority ``upto`` and above (0 is the highest)
        would take to leave at the current rate."""
        queued = sum(self._queued[: upto + 1])
        return queued * 8 / max(self.rate_bps, 1)

    def oldest_wait_s(self) -> float:
        heads = [q[0].queued_at for q in self._queues[:PADDING] if q]
        return time.monotonic() - min(heads) if heads else 0.0

    def probe(self, rate_bps: int, duration_s: float = 0.03, min_packets: int = 6) -> int:
        """Send a burst at ``rate_bps`` (media, then padding); returns its cluster id."""
        self._next_cluster += 1
        cluster = self._next_cluster
        size = int(rate_bps * duration_s / 8)
        self._probe = _Probe(cluster, rate_bps, size, min_packets)
        self._wake.set()
        return cluster

    @property
    def probing(self) -> bool:
        return self._probe is not None

    # ----- the loop --------------------------------------------------------------------------

    def _rate(self) -> float:
        rate = float(self.rate_bps)
        if self._probe is not None:
            rate = max(rate, self._probe.rate_bps)
        # A backlog drains faster, but never at more than twice the pace: it was encoded
        # for a path that has just shrunk, and pushing it out at once floods that path.
        drain = min(self._queued_bytes * 8 / DRAIN_S, 2 * rate)
        return max(rate, drain)

    def _next(self) -> Outgoing | None:
        for queue in self._queues:
            if queue:
                item = queue.popleft()
                self._queued_bytes -= item.size
                self._queued[item.priority] -= item.size
                return item
        probe = self._probe
        if probe is not None:
            pad = self._padding(min(max(probe.bytes_left, 200), 1200))
            if pad is None:
                self._finish_probe()
            return pad
        return None

    def _finish_probe(self) -> None:
        probe, self._probe = self._probe, None
        if probe is not None:
            self._on_probe_sent(probe.cluster, probe.sent)

    async def run(self) -> None:
        while True:
            if not any(self._queues) and self._probe is None:
                self._wake.clear()
                await self._wake.wait()
                self._last = time.monotonic()
            if self._probe is not None:
                await self._run_probe(self._probe)
                continue
            now = time.monotonic()
            rate = self._rate()
            elapsed = now - (self._last if self._last is not None else now)
            self._last = now
            # A tick late by a busy loop may send what it owes, but never more than 100 ms.
            burst = min(max(elapsed, MAX_BURST_S), MAX_CATCH_UP_S)
            self._budget = min(self._budget + rate * elapsed / 8, rate * burst / 8 + 1500)
            while self._budget > 0:
                item = self._next()
                if item is None:
                    break
                await self._send(item)
            await asyncio.sleep(TICK_S)

    async def _run_probe(self, probe: _Probe) -> None:
        """Each packet at its own time: a probe measures how fast bytes *can* leave."""
        start = time.monotonic()
        sent = 0
        while self._probe is probe:
            item = self._next()
            if item is None:
                break
            await self._send(item)
            sent += item.size
            delay = start + sent * 8 / probe.rate_bps - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        self._budget = 0.0
        self._last = time.monotonic()

    async def _send(self, item: Outgoing) -> None:
        probe = self._probe
        send_us = time.monotonic_ns() // 1000
        cluster = probe.cluster if probe is not None else -1
        seq = self._history.add(send_us, item.size, cluster)
        self._budget -= item.size
        self.sent_bytes += item.size
        if item.priority == PADDING:
            self.padding_bytes += item.size
        try:
            await item.emit(seq)
        except ConnectionError:
            return
        except Exception:  # one bad packet must not stop the video
            logger.exception("sending a paced packet failed")
        if probe is not None:
            probe.sent.append((send_us, item.size))
            probe.bytes_left -= item.size
            probe.packets_left -= 1
            if probe.bytes_left <= 0 and probe.packets_left <= 0:
                self._finish_probe()

"""Test helpers: a TWCC feedback encoder (as a receiver writes it) and a bottleneck link."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field


def feedback_packet(base: int, arrivals: Sequence[int | None], count: int) -> bytes:
    """A whole RTCP TWCC feedback (header included) reporting ``arrivals`` (µs or None)."""
    received = [a for a in arrivals if a is not None]
    reference = (received[0] // 64_000) if received else 0
    body = struct.pack("!LLHHL", 1, 2, base & 0xFFFF, len(arrivals), (reference << 8) | count)
    symbols: list[int] = []
    deltas = b""
    previous = reference * 64_000
    for arrival in arrivals:
        if arrival is None:
            symbols.append(0)
            continue
        delta = (arrival - previous) // 250
        previous += delta * 250
        if 0 <= delta <= 255:
            symbols.append(1)
            deltas += bytes([delta])
        else:
            symbols.append(2)
            deltas += struct.pack("!h", delta)
    for start in range(0, len(symbols), 7):  # 2-bit status vectors, 7 symbols each
        chunk = 0xC000
        for i, symbol in enumerate(symbols[start : start + 7]):
            chunk |= symbol << (12 - 2 * i)
        body += struct.pack("!H", chunk)
    body += deltas
    body += b"\x00" * (-len(body) % 4)
    return struct.pack("!BBH", 0x80 | 15, 205, len(body) // 4) + body


@dataclass
class Bottleneck:
    """A FIFO link: ``rate_bps``, a queue of ``queue_s`` (tail drop), ``loss`` at random."""

    rate_bps: int
    queue_s: float = 0.1
    delay_us: int = 20_000
    free_at_us: int = 0
    drops: int = 0
    seed: int = 1
    _state: int = field(default=0, repr=False)

    def _random(self) -> float:
        self._state = (self._state * 1103515245 + 12345 + self.seed) & 0x7FFFFFFF
        return self._state / 0x7FFFFFFF

    def carry(self, send_us: int, size: int, loss: float = 0.0) -> int | None:
        """Arrival time of a packet sent at ``send_us``, or None when dropped."""
        start = max(send_us, self.free_at_us)
        if start - send_us > self.queue_s * 1_000_000:
            self.drops += 1
            return None
        self.free_at_us = start + size * 8 * 1_000_000 // self.rate_bps
        if loss and self._random() < loss:
            return None
        return self.free_at_us + self.delay_us

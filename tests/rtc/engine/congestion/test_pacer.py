"""The pacer spreads a frame's packets at the pacing rate, retransmissions first."""

from __future__ import annotations

import asyncio
import time

from lkdesk.rtc.engine.congestion.pacer import MEDIA, RETRANSMISSION, Outgoing, Pacer
from lkdesk.rtc.engine.congestion.twcc import SendHistory
from tests.rtc.engine.adapt.aiortc_pair import until


def make_pacer(sent: list[tuple[float, str, int]]) -> tuple[Pacer, SendHistory]:
    history = SendHistory()
    probes: list[int] = []
    return Pacer(history, lambda size: None, lambda c, s: probes.append(c)), history


LAYERS = {"a": object(), "b": object(), "m": object(), "r": object()}


def item(sent: list[tuple[float, str, int]], name: str, priority: int = MEDIA) -> Outgoing:
    async def emit(seq: int) -> None:
        sent.append((time.monotonic(), name, seq))

    return Outgoing(1200, emit, priority, owner=LAYERS[name[0]])


async def test_a_burst_leaves_at_the_pacing_rate_with_transport_sequence_numbers() -> None:
    sent: list[tuple[float, str, int]] = []
    pacer, _history = make_pacer(sent)
    pacer.rate_bps = 960_000  # 100 packets of 1200 bytes per second
    runner = asyncio.create_task(pacer.run())
    try:
        for i in range(30):  # a 36 kB keyframe, all at once
            pacer.enqueue(item(sent, f"m{i}"))
        await until(lambda: len(sent) >= 30, deadline_s=5)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    span = sent[-1][0] - sent[0][0]
    assert span > 0.15, f"30 packets left within {span:.3f} s"  # ~0.3 s at this rate
    assert [s for _t, _n, s in sent] == list(range(30))


async def test_retransmissions_go_before_queued_media_and_dropped_layers_leave_the_queue() -> None:
    sent: list[tuple[float, str, int]] = []
    pacer, _history = make_pacer(sent)
    for i in range(5):
        pacer.enqueue(item(sent, f"a{i}"))
    for i in range(5):
        pacer.enqueue(item(sent, f"b{i}"))
    pacer.enqueue(item(sent, "rtx", RETRANSMISSION))
    assert pacer.discard(LAYERS["b"]) == 5
    runner = asyncio.create_task(pacer.run())
    try:
        await until(lambda: len(sent) >= 6, deadline_s=5)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    assert [n for _t, n, _s in sent] == ["rtx", "a0", "a1", "a2", "a3", "a4"]

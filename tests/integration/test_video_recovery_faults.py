"""Remote video moves again within 1 s of packets arriving after UDP faults (issue 11, item 0).

lkdesk runs in its own network namespace (netns.py) subscribed to an official-SDK peer's
VP8 camera (a solid colour with a frame counter). iptables in lkdesk's namespace black out
its UDP, or drop 10 % of it, for 5 s; each fault is repeated ``RUNS`` times in one call.
Measured: from the end of the fault until the video is live again, i.e. the first frame
(right colour, counter above everything seen before the fault) of the unbroken run of
frames that lasts to the end of the observation. A burst of backlog frames decoded from
retransmissions and then a freeze (what aiortc's receiver does) is not live video. The bound
is the issue's 1 s; under loss the longest freeze must also stay within it.

A 5 s blackout is short enough for ICE to survive: aioice declares consent lost after six
failed checks 4-6 s apart (about 30 s), and the server's pion agent keeps the session
(checked below: lkdesk never starts reconnecting). Anything longer is the resume path's job.

Without the recovery (aiortc's own receiver) these tests fail: the video stays frozen on
the frame the outage broke until 512 packets pile up (measured when the recovery was built).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.livekit_server import LiveKitServer
from tests.integration.netns import NetnsHost, netns_host
from tests.integration.peers import SdkPeer
from tests.integration.remote_lkdesk import RemoteLkdesk
from tests.integration.remote_lkdesk import remote_lkdesk as engine_agent

pytestmark = pytest.mark.integration

PEER_COLOUR = (30, 210, 60)
FAULT_S = 5.0
LOSS = 0.10
RUNS = 3
RECOVERY_BOUND_S = 1.0
OBSERVE_S = 4.0  # how long after each fault the video is watched
FREEZE_S = 0.5  # no new frame for longer than this is a freeze (as the agent's gap report)

Frame = list[Any]  # [monotonic time, counter, [r, g, b]]
Fault = Callable[[NetnsHost], Awaitable[None]]


@contextlib.asynccontextmanager
async def lkdesk_watching_peer(
    server: LiveKitServer, room: str, log_dir: Path
) -> AsyncIterator[tuple[NetnsHost, RemoteLkdesk]]:
    with netns_host() as host:
        async with engine_agent(host, log_dir) as lk:
            peer = SdkPeer(server.ws_url, server.token("peer", room))
            try:
                await peer.connect()
                await peer.publish_video(color=PEER_COLOUR)
                await lk.call("connect", url=server.lan_ws_url, token=server.token("lkdesk", room))
                await _until_moving(lk, time.monotonic(), deadline_s=15.0)
                assert len(await lk.call("recovery_stats")) == 1  # the engine installed it
                yield host, lk
            except BaseException:
                print(f"--- lkdesk agent log ---\n{lk.log_tail(100)}")
                raise
            finally:
                await peer.aclose()


def _colour_ok(frame: Frame) -> bool:
    return all(abs(float(c) - e) < 25 for c, e in zip(frame[2], PEER_COLOUR, strict=True))


def _live_from(frames: list[Frame], fault_start: float, end: float, until: float) -> float | None:
    """When the video became live again after ``end``: the start of the unbroken run of new
    frames (no freeze over ``FREEZE_S``, counters going up) that lasts until ``until``.

    A burst of frames decoded from retransmitted backlog followed by a freeze does not count.
    """
    before = [f[1] for f in frames if f[0] < fault_start]
    last = max(before) if before else -1
    run = [f for f in frames if f[0] >= end and _colour_ok(f)]
    if not run or until - run[-1][0] > FREEZE_S:
        return None  # frozen at the end of the observation
    first = len(run) - 1
    while first > 0 and run[first][0] - run[first - 1][0] <= FREEZE_S:
        first -= 1
    counters = [f[1] for f in run[first:]]
    if counters != sorted(counters) or counters[0] <= last:
        return None
    return float(run[first][0])


def _longest_freeze(frames: list[Frame], start: float, until: float) -> float:
    times = [start, *(f[0] for f in frames if start <= f[0] <= until), until]
    return max(b - a for a, b in itertools.pairwise(times))


async def _until_moving(lk: RemoteLkdesk, since: float, deadline_s: float) -> None:
    async with asyncio.timeout(deadline_s):
        while True:
            frames = await lk.call("frame_log", identity="peer", since=since)
            counters = [f[1] for f in frames if _colour_ok(f)]
            if len(counters) >= 10 and counters == sorted(counters):
                return
            await asyncio.sleep(0.1)


async def _recovery_after(lk: RemoteLkdesk, fault: Fault, host: NetnsHost) -> tuple[float, float]:
    """Run ``fault``: seconds from its end until the video is live again (inf if it never
    was within ``OBSERVE_S``), and the longest freeze from its start to then."""
    try:
        await _until_moving(lk, time.monotonic(), deadline_s=10.0)
    except TimeoutError:
        return float("inf"), float("inf")  # still frozen from the previous fault
    start = time.monotonic()
    await fault(host)
    end = time.monotonic()
    await asyncio.sleep(OBSERVE_S)
    until = time.monotonic()
    frames = await lk.call("frame_log", identity="peer", since=start - 2.0)
    live = _live_from(frames, start, end, until)
    recovery = float("inf") if live is None else live - end
    return recovery, _longest_freeze(frames, start, end + min(recovery, OBSERVE_S))


async def _blackout(host: NetnsHost) -> None:
    host.block_udp()
    try:
        await asyncio.sleep(FAULT_S)
    finally:
        host.unblock_udp()


async def _random_loss(host: NetnsHost) -> None:
    host.random_loss(LOSS)
    try:
        await asyncio.sleep(FAULT_S)
    finally:
        host.clear_faults()


async def _measure(
    fault: Fault, name: str, server: LiveKitServer, room: str, log: Path
) -> list[tuple[float, float]]:
    async with lkdesk_watching_peer(server, room, log) as (host, lk):
        runs = [await _recovery_after(lk, fault, host) for _ in range(RUNS)]
        stats = await lk.call("recovery_stats")
        events = [e["event"] for e in lk.events]
    times = [r for r, _ in runs]
    shown = ", ".join(f"{t * 1000:.0f}" for t in times)
    freezes = ", ".join(f"{f * 1000:.0f}" for _, f in runs)
    finite = [t for t in times if t != float("inf")]
    median = f"{statistics.median(finite) * 1000:.0f} ms" if finite else "-"
    print(
        f"\n{name}: video live again [{shown}] ms after the fault (median {median}); "
        f"longest freezes [{freezes}] ms; recovery {stats}"
    )
    assert "reconnecting" not in events, f"ICE did not survive the fault: {events}"
    assert all(t <= RECOVERY_BOUND_S for t in times), (
        f"remote video stayed frozen after {name}: live again {shown} ms after the fault"
    )
    return runs


async def test_remote_video_moves_within_1s_after_a_5s_udp_blackout(
    livekit_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    await _measure(_blackout, "5 s UDP blackout", livekit_server, room_name, tmp_path)


async def test_remote_video_moves_within_1s_after_5s_of_10_percent_loss(
    livekit_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    runs = await _measure(_random_loss, "5 s of 10 % loss", livekit_server, room_name, tmp_path)
    # Packets kept arriving throughout: the video must never have stood still for long.
    assert all(freeze <= RECOVERY_BOUND_S for _, freeze in runs), runs

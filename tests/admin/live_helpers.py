"""Small helpers for the live RoomService tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from livekit import rtc

from tests.integration.peers import AUDIO_RATE, SdkPeer

EVENT_TIMEOUT_S = 15.0
_T = TypeVar("_T")


async def event(
    peer: SdkPeer, name: rtc.room.EventTypes, predicate: Callable[..., bool] = lambda *_: True
) -> tuple[Any, ...]:
    """The first ``name`` event at ``peer`` matching ``predicate``, within EVENT_TIMEOUT_S."""
    async with asyncio.timeout(EVENT_TIMEOUT_S):
        return await peer.wait_for(name, predicate)


async def eventually(probe: Callable[[], Awaitable[_T]], ok: Callable[[_T], bool]) -> _T:
    """Poll ``probe`` until ``ok(result)`` or EVENT_TIMEOUT_S; return the last result."""
    deadline = asyncio.get_running_loop().time() + EVENT_TIMEOUT_S
    while True:
        result = await probe()
        if ok(result) or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.2)


async def audio_frames(track: rtc.Track, *, seconds: float) -> int:
    """How many audio frames of ``track`` arrive within ``seconds``."""
    stream = rtc.AudioStream(track, sample_rate=AUDIO_RATE, num_channels=1)
    count = 0

    async def consume() -> None:
        nonlocal count
        async for _ in stream:
            count += 1

    task = asyncio.create_task(consume())
    try:
        await asyncio.sleep(seconds)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await stream.aclose()
    return count

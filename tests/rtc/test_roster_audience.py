"""After a full rejoin, data written meanwhile waits for the people who were in the room."""

from __future__ import annotations

import asyncio
from typing import Any

from livekit.protocol import models as proto_models

from lkdesk.rtc.roster import Roster


class _NoSubscriptions:
    def __getattr__(self, _name: str) -> Any:
        return lambda *_a, **_k: None


def _roster() -> Roster:
    return Roster(
        emit=lambda *_a: None,
        subscriptions=_NoSubscriptions(),  # type: ignore[arg-type]
        left=lambda _identity: None,
        auto_subscribe=lambda: False,
    )


def _info(identity: str, sid: str) -> proto_models.ParticipantInfo:
    return proto_models.ParticipantInfo(
        identity=identity, sid=sid, state=proto_models.ParticipantInfo.ACTIVE
    )


async def test_the_wait_ends_when_everyone_noted_is_back() -> None:
    roster = _roster()
    roster.joined([_info("peer", "PA_1"), _info("other", "PA_2")])
    roster.remember_present()
    roster.rejoined([])  # the crashed server came back empty
    waiting = asyncio.create_task(roster.wait_for_remembered(limit_s=30))
    await asyncio.sleep(0.2)
    roster.apply(_info("peer", "PA_3"))
    await asyncio.sleep(0.2)
    assert not waiting.done()  # "other" is not back yet
    roster.apply(_info("other", "PA_4"))
    async with asyncio.timeout(5):  # a hang guard; the limit is 30 s
        await waiting


async def test_someone_who_left_for_good_delays_data_only_up_to_the_limit() -> None:
    roster = _roster()
    roster.joined([_info("peer", "PA_1")])
    roster.remember_present()
    roster.rejoined([])
    loop = asyncio.get_running_loop()
    started = loop.time()
    await roster.wait_for_remembered(limit_s=0.3)
    assert loop.time() - started >= 0.3

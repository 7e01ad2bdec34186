"""ICE consent checks whose answers mostly go missing (adapt/consent.py), two aiortc peers.

On a loaded desktop the answers to consent checks arrive late or not at all (read after
their 0.5 s from a socket queue full of media, or dropped when that queue overflows) while
the path itself is fine. Here six of every seven STUN answers to peer ``b`` are dropped
(iptables, u32 match on the STUN message type, nth statistic). aioice alone sends each
check once, so six checks in a row fail and it expires consent (and aiortc then closes the
whole peer connection); the engine's checks retransmit, some answer gets through, and
consent stays. Consent intervals are shortened (5 s → 0.5 s) so this takes seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections.abc import Iterator

import aioice.ice
import pytest

from tests.rtc.engine.adapt.aiortc_pair import Pair, no_tasks_left, require_sandbox, until

INTERVAL_S = 0.5
LOSSY_FOR_S = 8.0  # sixteen intervals; aioice expires consent after six failed checks
STUN_RESPONSE = "0>>22&0x3C@8>>16=0x0101"  # UDP payload starts with a Binding response


@contextlib.contextmanager
def most_stun_answers_dropped(ports: list[int]) -> Iterator[None]:
    """Let one in seven STUN Binding responses to ``ports`` through; drop the others."""
    rules = []
    for port in ports:
        match = ["-p", "udp", "--dport", str(port), "-m", "u32", "--u32", STUN_RESPONSE]
        rules.append(["INPUT", *match, "-j", "DROP"])
        rules.append(["INPUT", *match, "-m", "statistic", "--mode", "nth", "--every", "7",
                      "--packet", "0", "-j", "ACCEPT"])  # fmt: skip
    added = []
    try:
        for rule in rules:  # each inserted first: the ACCEPT ends up before its DROP
            subprocess.run(["iptables", "-w", "-I", *rule], check=True, timeout=10)
            added.append(rule)
        yield
    finally:
        for rule in added:
            subprocess.run(["iptables", "-w", "-D", *rule], check=True, timeout=10)


@pytest.fixture
async def pair(monkeypatch: pytest.MonkeyPatch) -> Pair:
    require_sandbox()
    monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", INTERVAL_S)
    return Pair()


async def test_consent_outlives_checks_whose_answers_mostly_go_missing(pair: Pair) -> None:
    try:
        await pair.connect()
        for peer in (pair.a, pair.b):
            await peer.restarter.install()  # what SessionKeeper does once a PC connects
        seen = set()
        with most_stun_answers_dropped(pair.b.local_ports()):
            for _ in range(int(LOSSY_FOR_S / 0.1)):
                seen.add(pair.b.pc.iceConnectionState)
                await asyncio.sleep(0.1)
        assert seen == {"completed"}, seen
        assert pair.connected()
        moment = time.monotonic()
        await until(lambda: len(pair.b.received.frames_after(moment)) >= 5)
    finally:
        await pair.aclose()
    await no_tasks_left()


async def test_aioice_alone_expires_consent_and_aiortc_closes_the_connection(pair: Pair) -> None:
    """Why consent.py exists (if this starts failing, aioice got more tolerant)."""
    try:
        await pair.connect()
        with most_stun_answers_dropped(pair.b.local_ports()):
            await until(lambda: pair.b.pc.connectionState in ("failed", "closed"), LOSSY_FOR_S)
    finally:
        await pair.aclose()
    await no_tasks_left()

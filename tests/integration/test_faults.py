"""Real-call faults under lkdesk (issues 11 and 20): resume without leaving, lose no message.

Each test breaks lkdesk's link to the real server while lkdesk and an official-SDK peer send
numbered chat messages five times a second and publish video (fault_call.py). Throughout
every fault each message must arrive exactly once, in order, and nothing lkdesk reported as
sent may be missing; then each fault's own promise is checked. The signalling reset, the UDP
blackout and the server crash run again with lkdesk forced into single-PC mode (``/rtc/v1``):
one peer connection, resumed by lkdesk's ICE-restart offer, or rejoined on ``/rtc/v1``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.fault_call import (
    LKDESK_COLOUR,
    MESSAGES,
    Fault,
    Outcome,
    SdkSide,
    describe,
    numbers,
    run_faulty_call,
)
from tests.integration.livekit_server import LiveKitServer
from tests.integration.netns import NetnsHost

pytestmark = pytest.mark.integration

EXPECTED = list(range(1, MESSAGES + 1))

#: lkdesk's peer-connection mode, forced: two PCs (``/rtc``) and one (``/rtc/v1``).
PC_MODES = pytest.mark.parametrize("single_pc", [False, True], ids=["v0", "v1"])


@pytest.fixture
def private_server() -> Iterator[LiveKitServer]:
    """A server of the test's own: one of the faults crashes it."""
    server = LiveKitServer.create()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _show_agent_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    outcome = getattr(request.node, "lkdesk_outcome", None)
    if report is not None and report.failed and outcome is not None:
        print(f"--- lkdesk agent log ---\n{outcome.log_tail}")


@pytest.fixture
def single_pc() -> bool | None:
    """lkdesk's ``RoomOptions.single_peer_connection`` (None: its default; see PC_MODES)."""
    return None


@pytest.fixture
def faulty_call(
    private_server: LiveKitServer,
    room_name: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    single_pc: bool | None,
) -> Callable[[Fault], Awaitable[Outcome]]:
    """Run a call with ``fault``; its outcome is kept for the failure report."""

    async def run(fault: Fault) -> Outcome:
        options = {} if single_pc is None else {"single_peer_connection": single_pc}
        outcome = await run_faulty_call(fault, private_server, room_name, tmp_path, **options)
        request.node.lkdesk_outcome = outcome
        if single_pc is not None:
            assert outcome.single_pc == single_pc, "lkdesk changed its peer-connection mode"
        return outcome

    return run


def assert_every_message_once(outcome: Outcome) -> None:
    sent = numbers([r["text"] for r in outcome.chat["sent"] if r["state"] == "sent"], "lk")
    never_arrived = sorted(set(sent) - set(outcome.at_peer))
    assert not never_arrived, (
        f"reported sent, never arrived: {never_arrived}; {outcome.events_line()}"
    )
    assert (outcome.at_peer, outcome.at_lkdesk) == (EXPECTED, EXPECTED), (
        f"lkdesk → peer: {describe(outcome.at_peer, EXPECTED)}; "
        f"peer → lkdesk: {describe(outcome.at_lkdesk, EXPECTED)}; {outcome.events_line()}"
    )


def assert_resumed_not_rejoined(outcome: Outcome) -> None:
    assert outcome.sids[0] == outcome.sids[1], f"lkdesk rejoined: {outcome.events_line()}"
    assert outcome.lkdesk_left_seen_by_peer == 0, "the peer saw lkdesk leave"


def lkdesk_video_back_at(outcome: Outcome, after: float) -> float:
    """When lkdesk's received video moved again after ``after`` (its longest gap's end)."""
    gaps = [g for g in outcome.lkdesk_video["gaps"] if g[1] > after]
    return gaps[0][1] if gaps else after


def peer_saw_lkdesk_colour(outcome: Outcome, after: float) -> bool:
    late = outcome.peer_colours[-3:]
    return bool(late) and all(
        max(abs(c - e) for c, e in zip(colour, LKDESK_COLOUR, strict=True)) < 35 for colour in late
    )


async def _signal_reset(host: NetnsHost, server: LiveKitServer, _side: SdkSide) -> None:
    assert host.reset_tcp(server.ports.http) >= 1


async def _udp_blackout(host: NetnsHost, _server: LiveKitServer, _side: SdkSide) -> None:
    with host.udp_blackout():
        await asyncio.sleep(8.0)


async def _address_change(host: NetnsHost, _server: LiveKitServer, _side: SdkSide) -> None:
    host.change_address()


async def _server_crash(_host: NetnsHost, server: LiveKitServer, side: SdkSide) -> None:
    # The SDK loses what it is handed in the instant its server dies (it reports it sent);
    # its sender pauses over the crash so that what is measured is lkdesk's side.
    side.may_send.clear()
    await asyncio.sleep(0.3)
    try:
        await asyncio.to_thread(server.restart, 1.0)
    finally:
        side.may_send.set()


@PC_MODES
async def test_signalling_reset_resumes_within_2_s_while_media_keeps_flowing(
    faulty_call: Callable[[Fault], Awaitable[Outcome]], private_server: LiveKitServer
) -> None:
    outcome = await faulty_call(_signal_reset)
    assert_every_message_once(outcome)
    assert_resumed_not_rejoined(outcome)
    backs = outcome.times_of("reconnected")
    assert len(backs) == 1, outcome.events_line()
    assert backs[0] - outcome.fault_start < 2.0, outcome.events_line()
    window = (outcome.fault_start - 1.0, outcome.fault_end + 3.0)
    assert outcome.longest_peer_gap(*window) < 1.0, "lkdesk's video stalled at the peer"
    gaps = [(round(a - outcome.fault_start, 2), round(b - outcome.fault_start, 2))
            for a, b in outcome.lkdesk_video["gaps"]]  # fmt: skip
    back = lkdesk_video_back_at(outcome, outcome.fault_start)
    assert back - outcome.fault_start < 1.0, (gaps, outcome.events_line())


@PC_MODES
async def test_8_s_udp_blackout_keeps_the_session_and_media_back_within_3_s(
    faulty_call: Callable[[Fault], Awaitable[Outcome]], private_server: LiveKitServer
) -> None:
    """The 5-tuple survives an 8 s blackout, so lkdesk keeps its ICE pair (as libwebrtc
    does: the official SDK neither restarts nor reconnects here, bench/resume_times.py);
    a path that stays dead past 12 s of silence, or an address that vanished, is restarted
    (test_ice_restart_livekit.py, test_address_change_resumes_without_a_rejoin)."""
    outcome = await faulty_call(_udp_blackout)
    assert_every_message_once(outcome)
    assert_resumed_not_rejoined(outcome)
    at_peer = outcome.first_frame_at_peer_after(outcome.fault_end)
    assert at_peer is not None and at_peer - outcome.fault_end < 3.0, outcome.events_line()
    back = lkdesk_video_back_at(outcome, outcome.fault_start)
    assert back - outcome.fault_end < 3.0, (back - outcome.fault_end, outcome.events_line())


async def test_address_change_resumes_without_a_rejoin(
    faulty_call: Callable[[Fault], Awaitable[Outcome]], private_server: LiveKitServer
) -> None:
    outcome = await faulty_call(_address_change)
    assert_every_message_once(outcome)
    assert_resumed_not_rejoined(outcome)
    at_peer = outcome.first_frame_at_peer_after(outcome.fault_end + 1.0)
    assert at_peer is not None, "lkdesk's video never came back at the peer"
    assert peer_saw_lkdesk_colour(outcome, outcome.fault_end)


@PC_MODES
async def test_server_crash_rejoins_within_5_s_of_its_return_with_tracks_and_chat(
    faulty_call: Callable[[Fault], Awaitable[Outcome]], private_server: LiveKitServer
) -> None:
    outcome = await faulty_call(_server_crash)
    assert_every_message_once(outcome)
    (back,) = outcome.times_of("reconnected")
    assert back - outcome.fault_end < 5.0, outcome.events_line()
    assert outcome.sids[0] != outcome.sids[1]  # a crashed server keeps no session to resume
    assert peer_saw_lkdesk_colour(outcome, back), "lkdesk's camera was not published again"
    assert outcome.lkdesk_video["last"] > back + 1.0, "the peer's video was not received again"
    history = outcome.chat["history_states"]
    assert all(f"lk-{n}" in history for n in EXPECTED), "our own chat history lost messages"

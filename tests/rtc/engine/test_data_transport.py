"""Reliable data across reconnects, with scripted channels (no network).

The real-network proof is tests/integration/test_faults_chat.py; these pin the rules:
sends wait in order while offline, what SCTP did not acknowledge is resent first (with new
sequence numbers after a full rejoin), a closed room fails what still waits.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from livekit.protocol import models as proto_models

from lkdesk.core.errors import RoomError
from lkdesk.rtc.engine.data_transport import DataTransport


class ScriptedChannel:
    """Stands in for an RTCDataChannel: records what is sent."""

    def __init__(self) -> None:
        self.readyState = "open"
        self.bufferedAmount = 0
        self.sent: list[proto_models.DataPacket] = []

    def send(self, data: bytes) -> None:
        packet = proto_models.DataPacket()
        packet.ParseFromString(data)
        self.sent.append(packet)

    def texts(self) -> list[tuple[int, str]]:
        return [(p.sequence, p.user.payload.decode()) for p in self.sent]


class Link:
    """The channels of the current session and SCTP's unacknowledged count."""

    def __init__(self) -> None:
        self.reliable = ScriptedChannel()
        self.lossy = ScriptedChannel()
        self.unacknowledged = 0

    async def channels(self) -> tuple[Any, Any]:
        return self.reliable, self.lossy

    def new_session(self) -> None:
        self.reliable, self.lossy, self.unacknowledged = ScriptedChannel(), ScriptedChannel(), 0


def _packet(text: str) -> proto_models.DataPacket:
    return proto_models.DataPacket(user=proto_models.UserPacket(payload=text.encode()))


@pytest.fixture
def link() -> Link:
    return Link()


@pytest.fixture
def transport(link: Link) -> DataTransport:
    transport = DataTransport(
        link.channels, lambda _p: None, undelivered=lambda _c: link.unacknowledged
    )
    transport.go_online()
    return transport


async def test_sends_made_while_reconnecting_wait_and_go_out_in_order(
    link: Link, transport: DataTransport
) -> None:
    await transport.send(_packet("before"), reliable=True)
    transport.go_offline()
    waiting = [
        asyncio.create_task(transport.send(_packet(f"m{i}"), reliable=True)) for i in range(3)
    ]
    await asyncio.sleep(0.05)
    assert not any(t.done() for t in waiting)
    await transport.send(_packet("lossy, dropped"), reliable=False)
    link.new_session()
    await transport.come_back(new_session=True)
    await asyncio.gather(*waiting)
    assert link.reliable.texts() == [(1, "m0"), (2, "m1"), (3, "m2")]
    assert link.lossy.sent == []


async def test_unacknowledged_packets_are_resent_first_with_new_sequences(
    link: Link, transport: DataTransport
) -> None:
    for i in range(5):
        await transport.send(_packet(f"p{i}"), reliable=True)
    link.unacknowledged = 2  # the server never got p3 and p4
    transport.go_offline()
    transport.prepare_rejoin()  # a full rejoin follows: SCTP's count decides
    later = asyncio.create_task(transport.send(_packet("later"), reliable=True))
    link.new_session()
    await transport.come_back(new_session=True)
    await later
    assert link.reliable.texts() == [(1, "p3"), (2, "p4"), (3, "later")]


async def test_a_resume_resends_what_the_server_lacks_with_the_same_sequences(
    link: Link, transport: DataTransport
) -> None:
    for i in range(4):
        await transport.send(_packet(f"p{i}"), reliable=True)
    transport.go_offline()
    await transport.come_back(new_session=False, server_last_seq=2)  # it has p0 and p1
    await transport.send(_packet("next"), reliable=True)
    assert link.reliable.texts()[4:] == [(3, "p2"), (4, "p3"), (5, "next")]


async def test_the_room_ending_fails_what_still_waits_with_the_reason(
    transport: DataTransport,
) -> None:
    transport.go_offline()
    waiting = asyncio.create_task(transport.send(_packet("never"), reliable=True))
    await asyncio.sleep(0.01)
    transport.close("The call ended before this could be sent.")
    with pytest.raises(RoomError, match="call ended"):
        await waiting
    with pytest.raises(RoomError):
        await transport.send(_packet("after"), reliable=True)


async def test_duplicates_of_one_senders_reliable_packets_are_dropped() -> None:
    received: list[int] = []
    transport = DataTransport(Link().channels, lambda p: received.append(p.sequence))
    for sequence in (1, 2, 2, 1, 3):
        packet = proto_models.DataPacket(sequence=sequence, participant_sid="PA_x")
        transport._on_message(packet.SerializeToString())
    assert received == [1, 2, 3]

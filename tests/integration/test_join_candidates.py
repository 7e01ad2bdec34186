"""Which ICE candidates lkdesk signals when it joins, seen on the wire by a signalling relay.

The server's ICE agent (pion) nominates a pair on a 200 ms tick, or at once when a remote
candidate arrives, and waits 500 ms before it nominates a server-reflexive one. lkdesk
therefore drops srflx candidates that repeat a host address and trickles its relay
candidates after the first answer, once a check has succeeded: the server nominates the
checked host pair when they arrive. (What this saves is in bench/RESULTS.md, "Join and first
frame"; tests assert behaviour, not time.)
"""

from __future__ import annotations

import asyncio

import pytest
from livekit.protocol import rtc as proto_rtc

from lkdesk import rtc
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer
from tests.integration.signal_relay import signal_relay

pytestmark = pytest.mark.integration


def candidates(sdp: str) -> list[list[str]]:
    return [line.split() for line in sdp.split("\r\n") if line.startswith("a=candidate:")]


def kind(fields: list[str]) -> str:
    return fields[fields.index("typ") + 1]


async def test_the_first_answer_signals_host_candidates_and_trickles_relay_ones_after_it(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    peer = SdkPeer(livekit_server.ws_url, livekit_server.token("peer", room_name))
    room = rtc.Room()
    async with signal_relay(livekit_server.ws_url) as relay:
        try:
            await peer.connect()
            await room.connect(relay.url, livekit_server.token("lkdesk", room_name))
            got = asyncio.Event()
            room.register_text_stream_handler("t", lambda _reader, _sender: got.set())
            await peer.room.local_participant.send_text("hello", topic="t")
            # data over the subscriber connection: it is really up
            await asyncio.wait_for(got.wait(), 10)
        finally:
            await room.disconnect()
            await peer.aclose()
    requests = [proto_rtc.SignalRequest.FromString(frame) for frame in relay.from_client]
    kinds = [r.WhichOneof("message") for r in requests]
    first_answer = kinds.index("answer")
    answer = candidates(requests[first_answer].answer.sdp)
    assert {kind(c) for c in answer} >= {"host"}
    assert "relay" not in {kind(c) for c in answer}
    hosts = {(c[2].lower(), c[4], c[5]) for c in answer if kind(c) == "host"}
    assert not [c for c in answer if kind(c) == "srflx" and (c[2].lower(), c[4], c[5]) in hosts]
    assert "a=end-of-candidates" not in requests[first_answer].answer.sdp
    trickled = [
        r.trickle
        for r in requests[first_answer + 1 :]
        if r.WhichOneof("message") == "trickle"
        and r.trickle.target == proto_rtc.SignalTarget.SUBSCRIBER
    ]
    assert any(" typ relay " in t.candidateInit for t in trickled), trickled

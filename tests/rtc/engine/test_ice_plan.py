"""Which ICE servers a session uses: UDP TURN when it answers, else TURN/TLS, else TURN/TCP.

The probe is real: a UDP socket on loopback that answers (or stays silent). aiortc uses only
the first STUN and the first TURN entry, so the plan must put the right one there, and hand
aioice a verifying TLS context for a ``turns:`` server.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Iterator

import pytest
from aiortc import RTCPeerConnection
from livekit.protocol import rtc as proto_rtc

from lkdesk.core.tls import ServerTrust
from lkdesk.rtc.engine import adapt, ice


class _Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.DatagramTransport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(data, addr)  # any answer proves UDP gets through


@pytest.fixture
async def answering_port() -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(_Echo, local_addr=("127.0.0.1", 0))
    yield transport.get_extra_info("sockname")[1]
    transport.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _servers(udp_port: int, *extra: str) -> list[ice.IceUrl]:
    server = proto_rtc.ICEServer(
        urls=[f"turn:127.0.0.1:{udp_port}?transport=udp", *extra],
        username="user",
        credential="secret-credential",
    )
    return ice.flatten([server])


async def test_udp_turn_is_used_when_it_answers(answering_port: int) -> None:
    urls = _servers(answering_port, "turns:turn.example.org:443?transport=tcp")
    plan = await ice.plan(urls, budget_s=1.0)
    assert [u.url for u in plan.urls] == [f"turn:127.0.0.1:{answering_port}?transport=udp"]
    assert (plan.relay, plan.udp_open, plan.turn_tls) == ("udp", True, None)


async def test_turn_over_tls_is_used_when_udp_gets_no_answer(silent_port: int) -> None:
    urls = _servers(
        silent_port,
        "turn:turn.example.org:3478?transport=tcp",
        "turns:turn.example.org:443?transport=tcp",
    )
    plan = await ice.plan(urls, budget_s=0.3, trust=ServerTrust())
    assert [u.url for u in plan.urls] == ["turns:turn.example.org:443?transport=tcp"]
    assert (plan.relay, plan.udp_open) == ("tls", False)
    assert isinstance(plan.turn_tls, ssl.SSLContext)
    assert plan.turn_tls.verify_mode == ssl.CERT_REQUIRED and plan.turn_tls.check_hostname


async def test_turn_over_tcp_is_the_last_resort(silent_port: int) -> None:
    urls = _servers(silent_port, "turn:turn.example.org:3478?transport=tcp")
    plan = await ice.plan(urls, budget_s=0.3)
    assert (plan.relay, [u.url for u in plan.urls]) == (
        "tcp",
        ["turn:turn.example.org:3478?transport=tcp"],
    )


def test_the_media_failure_message_says_what_was_blocked() -> None:
    blocked = ice.media_failure_message(ice.IcePlan(relay="tls", udp_open=False))
    assert blocked.startswith("Your network blocks the media connection (UDP and TURN)")
    assert "TURN over TLS" in blocked
    no_turn = ice.media_failure_message(ice.IcePlan(udp_open=False))
    assert "offers no TURN over TCP or TLS" in no_turn
    other = ice.media_failure_message(ice.IcePlan(relay="udp", udp_open=True))
    assert "rtc.node_ip" in other


def test_turn_credentials_never_show_in_a_repr() -> None:
    (url,) = ice.flatten(
        [proto_rtc.ICEServer(urls=["turn:h:3478"], username="u", credential="s3cret")]
    )
    assert "s3cret" not in repr(url) and "s3cret" not in repr(ice.IcePlan(urls=[url]))


async def test_gathering_gets_the_verifying_context_for_turns() -> None:
    urls = ice.flatten(
        [proto_rtc.ICEServer(urls=["turns:turn.example.org:443?transport=tcp"], username="u",
                             credential="c")]
    )  # fmt: skip
    pc = RTCPeerConnection(ice.rtc_configuration(urls))
    try:
        pc.createDataChannel("probe")
        await pc.createOffer()
        (connection,) = adapt.ice_gathering.ice_connections(pc)
        assert connection.turn_ssl is True  # aiortc's default: Python's default context
        context = ssl.create_default_context()
        adapt.prepare_gathering(pc, turn_tls=context)
        assert connection.turn_ssl is context
        assert adapt.media_route(pc) == ""
    finally:
        await pc.close()

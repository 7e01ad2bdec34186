"""SignalClient against scripted WebSocket servers (error paths the real server avoids)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc
from websockets.asyncio.server import ServerConnection, serve

from lkdesk.rtc.engine import ice
from lkdesk.rtc.engine.signal_client import SignalClient, SignalClosed
from lkdesk.rtc.engine.signal_protocol import JoinParams


def _join(ping_interval: int, ping_timeout: int) -> bytes:
    return proto_rtc.SignalResponse(
        join=proto_rtc.JoinResponse(
            room=proto_models.Room(name="r"),
            participant=proto_models.ParticipantInfo(sid="PA_1", identity="me"),
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
        )
    ).SerializeToString()


async def _scripted(behaviour: Callable[[ServerConnection], object]) -> tuple[object, str]:
    server = await serve(behaviour, "127.0.0.1", 0)  # type: ignore[arg-type]
    port = next(iter(server.sockets)).getsockname()[1]
    return server, f"ws://127.0.0.1:{port}"


async def test_scripted_server_answers_pings_so_session_stays_up() -> None:
    pings: list[int] = []

    async def behaviour(connection: ServerConnection) -> None:
        await connection.send(_join(ping_interval=1, ping_timeout=2))
        async for frame in connection:
            request = proto_rtc.SignalRequest.FromString(frame)  # type: ignore[arg-type]
            if request.WhichOneof("message") == "ping_req":
                pings.append(request.ping_req.timestamp)
                pong = proto_rtc.Pong(last_ping_timestamp=request.ping_req.timestamp)
                await connection.send(proto_rtc.SignalResponse(pong_resp=pong).SerializeToString())

    server, url = await _scripted(behaviour)
    client = SignalClient()
    try:
        await client.join(url, "token", JoinParams())
        await asyncio.sleep(3.5)
        assert len(pings) >= 3, pings
        assert client.events.empty(), "session ended although pongs arrived"
        assert 0 <= client.rtt_ms < 1000
    finally:
        await client.close(send_leave=False)
        server.close()  # type: ignore[attr-defined]
        await server.wait_closed()  # type: ignore[attr-defined]


async def test_scripted_server_that_goes_silent_is_detected_by_ping_timeout() -> None:
    async def behaviour(connection: ServerConnection) -> None:
        await connection.send(_join(ping_interval=1, ping_timeout=2))
        await connection.wait_closed()  # answers nothing until the client hangs up

    server, url = await _scripted(behaviour)
    client = SignalClient()
    try:
        await client.join(url, "token", JoinParams())
        started = time.monotonic()
        async with asyncio.timeout(6):
            event = await client.events.get()
        assert isinstance(event, SignalClosed) and "ping timeout" in (event.reason or "")
        assert time.monotonic() - started < 4.5
    finally:
        await client.close(send_leave=False)
        server.close()  # type: ignore[attr-defined]
        await server.wait_closed()  # type: ignore[attr-defined]


async def test_unanswered_stun_servers_are_dropped_within_the_budget() -> None:
    closed_port = ice.IceUrl("stun:127.0.0.1:9", "", "")  # ICMP port unreachable
    tcp_turn = ice.IceUrl("turn:127.0.0.1:3478?transport=tcp", "u", "p")
    started = time.monotonic()
    kept = await ice.reachable([closed_port, tcp_turn], budget_s=0.5)
    assert time.monotonic() - started < 1.0
    assert kept == [tcp_turn]


def test_flatten_skips_urls_aiortc_cannot_use() -> None:
    servers = [proto_rtc.ICEServer(urls=["stun:a:1", "bogus:thing"], username="u", credential="c")]
    assert [u.url for u in ice.flatten(servers)] == ["stun:a:1"]


@pytest.mark.parametrize("policy_relay", [False, True])
def test_configuration_is_explicit_and_max_bundle(policy_relay: bool) -> None:
    config = ice.rtc_configuration([ice.IceUrl("stun:a:1", "", "")], force_relay=policy_relay)
    assert [s.urls for s in config.iceServers] == ["stun:a:1"]
    assert config.bundlePolicy.name == "MAX_BUNDLE"
    assert (config.iceTransportPolicy.name == "RELAY") == policy_relay

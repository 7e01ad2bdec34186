"""Media when the network blocks UDP: TURN over TLS on 443 through the server's embedded TURN.

lkdesk runs in its own network namespace (netns.py) whose firewall drops all UDP and TCP to
the server's ICE-TCP port, as a hotel or corporate network does; the server and the official
SDK peer keep UDP. The server's embedded TURN serves TLS on 443 with a certificate from a CA
made in the run, which lkdesk trusts through the server's trusted-CA option (the same one
that verifies wss:// signalling, here through nginx). The peer must see lkdesk's colour and
hear its tone, lkdesk must see the peer's colour, both of lkdesk's peer connections must run
over TURN/TLS; the time to first frame is reported, not asserted. With TCP 443 dropped as
well, the join fails saying the network blocks the media connection.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.tools import run_lkdesk
from tests.integration.analysis import content_region, dominant_frequency, mean_color
from tests.integration.certs import TestCa
from tests.integration.daemons import TlsReverseProxy, running
from tests.integration.livekit_server import LiveKitServer, TurnTls, netns_ip
from tests.integration.netns import NetnsHost, netns_host
from tests.integration.peers import SdkPeer
from tests.integration.remote_lkdesk import AgentError, remote_lkdesk

pytestmark = pytest.mark.integration

PEER_COLOR = (40, 200, 90)
LKDESK_COLOR = (210, 40, 190)
TONE_HZ = 660.0


@dataclass
class TurnWorld:
    server: LiveKitServer
    ca: TestCa
    wss_url: str


@pytest.fixture
def turn_world(tmp_path: Path) -> Iterator[TurnWorld]:
    """A server of the test's own with TURN/TLS on 443, behind nginx for wss://."""
    ip = netns_ip()
    ca = TestCa(tmp_path / "pki")
    turn_cert = ca.issue("turn", ip)
    server = LiveKitServer.create(turn_tls=TurnTls(ip, turn_cert.cert, turn_cert.key))
    server.start()
    try:
        nginx = TlsReverseProxy(server.ports.http, {"wss": ca.issue("wss", ip)}, host=ip)
        with running(nginx):
            yield TurnWorld(server, ca, nginx.url("wss", ip))
    finally:
        server.stop()


def firewall(host: NetnsHost, server: LiveKitServer, *, allow_443: bool) -> None:
    host.block_udp()
    host.block_tcp_to(server.ports.rtc_tcp)  # ICE-TCP: only 443 and the signalling port pass
    if not allow_443:
        host.block_tcp_to(443)


def _close(color: Any, expected: tuple[int, int, int]) -> bool:
    return color is not None and max(abs(c - e) for c, e in zip(color, expected, strict=True)) < 30


async def _until(probe: Callable[[], Awaitable[Any]], ok: Callable[[Any], bool], s: float) -> Any:
    async with asyncio.timeout(s):
        while True:
            value = await probe()
            if ok(value):
                return value
            await asyncio.sleep(0.2)


async def test_media_flows_both_ways_over_turn_tls_when_udp_is_blocked(
    turn_world: TurnWorld, room_name: str, tmp_path: Path
) -> None:
    server = turn_world.server
    with netns_host() as host:
        firewall(host, server, allow_443=True)
        async with remote_lkdesk(host, tmp_path) as lk:
            peer = SdkPeer(server.ws_url, server.token("peer", room_name))
            try:
                await peer.connect()
                await peer.publish_video(color=PEER_COLOR)
                started = time.monotonic()
                await lk.call(
                    "connect",
                    url=turn_world.wss_url,
                    token=server.token("lkdesk", room_name),
                    trusted_ca_pem=turn_world.ca.pem,
                )
                joined = time.monotonic()
                await lk.call("publish_video", color=list(LKDESK_COLOR))
                await lk.call("publish_tone", freq_hz=TONE_HZ)

                async with asyncio.timeout(30):
                    video = await peer.subscribed_track("lkdesk", "camera")
                    frames = await peer.collect_video(video, frames=10)
                    audio = await peer.subscribed_track("lkdesk", "mic")
                    await peer.collect_audio(audio, seconds=0.5)
                    tone = await peer.collect_audio(audio, seconds=1.0)
                report = await _until(
                    lambda: lk.call("video_report", identity="peer"),
                    lambda r: bool(r) and _close(r["color"], PEER_COLOR),
                    20,
                )
                routes = await lk.call("media_routes")
            except BaseException:
                print(f"--- lkdesk agent log ---\n{lk.log_tail()}")
                raise
            finally:
                await peer.aclose()

    seen = mean_color(frames[-1].rgb, content_region(320, 240))
    assert _close(seen, LKDESK_COLOR), f"the peer saw {seen}, lkdesk sent {LKDESK_COLOR}"
    heard = dominant_frequency(tone, 48_000)
    assert abs(heard - TONE_HZ) < 10, f"the peer heard {heard:.0f} Hz, lkdesk sent {TONE_HZ}"
    assert routes["subscriber"] == routes["publisher"] == "turn/tls", routes
    print(
        f"\n[issue 14] UDP blocked, wss + TURN/TLS: join {joined - started:.2f} s, "
        f"first frame of the peer at lkdesk {report['first'] - started:.2f} s, "
        f"first frame of lkdesk at the peer {frames[0].time - joined:.2f} s after join; "
        f"routes {routes}"
    )


async def test_join_says_the_network_blocks_media_when_udp_and_turn_are_blocked(
    turn_world: TurnWorld, room_name: str, tmp_path: Path
) -> None:
    server = turn_world.server
    with netns_host() as host:
        firewall(host, server, allow_443=False)
        async with remote_lkdesk(host, tmp_path) as lk:
            started = time.monotonic()
            with pytest.raises(AgentError) as failed:
                await lk.call(
                    "connect",
                    url=server.lan_ws_url,
                    token=server.token("lkdesk", room_name),
                    trusted_ca_pem=turn_world.ca.pem,
                    media_timeout_s=6.0,
                )
            took = time.monotonic() - started
    message = str(failed.value)
    assert message.startswith("MediaNegotiationError"), message
    assert "Your network blocks the media connection (UDP and TURN)" in message, message
    print(f"\n[issue 14] UDP and TURN blocked: the join gave up after {took:.1f} s: {message}")


async def test_the_network_check_reports_turn_over_tls_when_udp_is_blocked(
    turn_world: TurnWorld,
) -> None:
    """Issue 14, item 5: the check says which path works — UDP blocked (a warning, with what
    to do) and media through TURN over TLS (a pass) — and still publishes through it."""
    server = turn_world.server
    with netns_host() as host:
        firewall(host, server, allow_443=True)
        done = await run_lkdesk(
            "check", turn_world.wss_url, "--api-key", server.api_key,
            "--api-secret", server.api_secret, "--trust-ca", str(turn_world.ca.path), "--json",
            prefix=host.command(), timeout_s=90,
        )  # fmt: skip
    steps = {s["key"]: s for s in json.loads(done.out)}
    assert steps["signalling"]["state"] == "pass", steps
    assert steps["udp"]["state"] == "warning" and "TURN over TLS" in steps["udp"]["detail"], steps
    assert steps["relay"]["state"] == "pass" and "TURN over TLS" in steps["relay"]["detail"], steps
    assert steps["publish"]["state"] == "pass", steps
    assert done.code == 0, done.err

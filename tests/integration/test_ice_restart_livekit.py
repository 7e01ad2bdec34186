"""ICE restarts with the real server (pion) through a resume of lkdesk's session (issue 11).

lkdesk runs in its own network namespace (netns.py) with the test-only resume driver
(resume_driver.py); the other participant is the official SDK. The test kills lkdesk's
signalling and its ICE path (or moves its address), then resumes: the server ICE-restarts
the subscriber PC (lkdesk answers through IceRestarter) and lkdesk ICE-restarts its
publisher PC. Afterwards video must flow both ways again (colour and a moving frame
counter) and data both ways, including what was sent while nothing worked, exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from livekit import rtc as sdk

from tests.integration.analysis import content_region, decode_counter, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.netns import NetnsHost, netns_host
from tests.integration.peers import SdkPeer
from tests.integration.remote_lkdesk import RemoteLkdesk
from tests.integration.remote_lkdesk import remote_lkdesk as engine_agent

pytestmark = pytest.mark.integration

PEER_COLOUR = (30, 210, 60)
LKDESK_COLOUR = (220, 30, 200)
TOPIC = "restart"
FLOW_DEADLINE_S = 15.0


@dataclass
class PeerSide:
    """What the official-SDK peer received from lkdesk."""

    frames: list[tuple[float, int, tuple[float, float, float]]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


@dataclass
class Call:
    host: NetnsHost
    lk: RemoteLkdesk
    peer: SdkPeer
    seen: PeerSide


async def _watch(track: sdk.RemoteTrack, seen: PeerSide) -> None:
    stream = sdk.VideoStream(track, format=sdk.VideoBufferType.RGB24)
    try:
        async for event in stream:
            frame = event.frame
            rgb = np.frombuffer(frame.data, dtype=np.uint8).reshape(frame.height, frame.width, 3)
            colour = mean_color(rgb, content_region(frame.width, frame.height))
            seen.frames.append((time.monotonic(), decode_counter(rgb), colour))
    finally:
        await stream.aclose()


@contextlib.asynccontextmanager
async def lkdesk_and_peer(server: LiveKitServer, room: str, log_dir: Path) -> AsyncIterator[Call]:
    """lkdesk (camera, in a namespace host) and an SDK peer (camera) seeing each other."""
    with netns_host() as host:
        async with engine_agent(host, log_dir) as lk:
            peer = SdkPeer(server.ws_url, server.token("peer", room))
            seen = PeerSide()
            watcher: asyncio.Task[None] | None = None

            def on_data(packet: sdk.DataPacket) -> None:
                if packet.topic == TOPIC:
                    seen.texts.append(packet.data.decode())

            peer.room.on("data_received", on_data)
            try:
                await peer.connect()
                await peer.publish_video(color=PEER_COLOUR)
                await lk.call("connect", url=server.lan_ws_url, token=server.token("lkdesk", room))
                await lk.call("publish_video", color=list(LKDESK_COLOUR))
                async with asyncio.timeout(FLOW_DEADLINE_S):
                    track = await peer.subscribed_track("lkdesk", "camera")
                watcher = asyncio.create_task(_watch(track, seen))
                call = Call(host, lk, peer, seen)
                await _until(lambda: _moving(call, since=0.0))
                yield call
            except BaseException:
                print(f"--- lkdesk agent log ---\n{lk.log_tail(150)}")
                raise
            finally:
                if watcher is not None:
                    watcher.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watcher
                await peer.aclose()


async def _until(check: Callable[[], Awaitable[bool]], deadline_s: float = FLOW_DEADLINE_S) -> None:
    async with asyncio.timeout(deadline_s):
        while True:
            if await check():
                return
            await asyncio.sleep(0.1)


def _colour_ok(colour: Any, expected: tuple[int, int, int]) -> bool:
    return all(abs(float(c) - e) < 25 for c, e in zip(colour, expected, strict=True))


def _counting_up(frames: list[tuple[float, int, Any]], expected: tuple[int, int, int]) -> bool:
    """At least 10 frames of the right colour whose counters increase."""
    good = [f for f in frames if _colour_ok(f[2], expected)]
    counters = [f[1] for f in good]
    return len(good) >= 10 and counters == sorted(counters) and counters[-1] > counters[0]


async def _moving(call: Call, *, since: float) -> bool:
    """Video flows both ways since ``since``."""
    at_lkdesk = await call.lk.call("frame_log", identity="peer", since=since)
    at_peer = [f for f in call.seen.frames if f[0] >= since]
    return _counting_up([tuple(f) for f in at_lkdesk], PEER_COLOUR) and _counting_up(
        at_peer, LKDESK_COLOUR
    )


def _ports(info: dict[str, Any]) -> set[int]:
    return {int(a.rsplit(":", 1)[1]) for pc in info.values() for a in pc["local"]}


def _drop_udp_ports(host: NetnsHost, ports: set[int]) -> None:
    for port in ports:
        host.inside(
            "iptables", "-w", "-I", "INPUT", "-p", "udp", "--dport", str(port), "-j", "DROP"
        )
        host.inside(
            "iptables", "-w", "-I", "OUTPUT", "-p", "udp", "--sport", str(port), "-j", "DROP"
        )


async def _resume_and_check(call: Call, break_paths: Callable[[], None]) -> dict[str, Any]:
    """Break signalling and ICE with ``break_paths``, send data, resume, check everything."""
    lk, peer = call.lk, call.peer
    before = await lk.call("ice_info")
    sid = (await lk.call("state"))["sid"]
    broken = time.monotonic()
    break_paths()
    await lk.call("send_data", text="lk-during", topic=TOPIC)
    await peer.room.local_participant.publish_data("peer-during", reliable=True, topic=TOPIC)
    lost = await lk.wait_event("reconnecting", since=broken, deadline_s=15)
    back = await lk.wait_event("reconnected", since=broken, deadline_s=30)
    resumed = time.monotonic()
    report = {"detected_s": lost["t"] - broken, "resumed_s": back["t"] - lost["t"]}
    try:
        await _until(lambda: _moving(call, since=resumed))
    except TimeoutError:
        at_lkdesk = await lk.call("frame_log", identity="peer", since=resumed - 2)
        raise AssertionError(
            f"video not moving after the resume ({report}); at lkdesk: {at_lkdesk[-5:]} "
            f"({len(at_lkdesk)}); at the peer: {call.seen.frames[-5:]} ({len(call.seen.frames)})"
        ) from None
    moving_after = time.monotonic() - resumed
    await lk.call("send_data", text="lk-after", topic=TOPIC)
    await peer.room.local_participant.publish_data("peer-after", reliable=True, topic=TOPIC)

    async def both_after() -> bool:
        got = [d["text"] for d in await lk.call("data_log")]
        return "peer-after" in got and "lk-after" in call.seen.texts

    await _until(both_after)
    first_at_lkdesk = (await lk.call("frame_log", identity="peer", since=resumed))[0][0]
    first_at_peer = next(f[0] for f in call.seen.frames if f[0] >= resumed)
    after = await lk.call("ice_info")
    at_lkdesk = [d["text"] for d in await lk.call("data_log")]
    state = await lk.call("state")
    print(
        f"\nresume: loss detected after {report['detected_s'] * 1000:.0f} ms, resumed "
        f"{report['resumed_s'] * 1000:.0f} ms later; then first frame at lkdesk "
        f"{(first_at_lkdesk - resumed) * 1000:.0f} ms, at the peer "
        f"{(first_at_peer - resumed) * 1000:.0f} ms, 10 moving frames both ways "
        f"{moving_after * 1000:.0f} ms"
    )
    assert call.seen.texts == ["lk-during", "lk-after"]
    assert at_lkdesk == ["peer-during", "peer-after"]
    assert not _ports(before) & _ports(after), "the new ICE sessions reuse old sockets"
    for pc in after.values():
        assert (pc["ice_state"], pc["connection_state"]) == ("completed", "connected")
    assert state["state"] == int(sdk.ConnectionState.CONN_CONNECTED)
    assert state["sid"] == sid, "lkdesk rejoined instead of resuming"
    assert not [e for e in lk.events if e["event"] == "disconnected"]
    assert not [a for a in peer.events["participant_disconnected"] if a[0].identity == "lkdesk"]
    return report


async def test_resume_restarts_both_peer_connections_with_pion_and_media_and_data_flow_again(
    livekit_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    async with lkdesk_and_peer(livekit_server, room_name, tmp_path) as call:
        old_ports = _ports(await call.lk.call("ice_info"))

        def break_paths() -> None:
            _drop_udp_ports(call.host, old_ports)  # the old ICE paths die
            assert call.host.reset_tcp(livekit_server.ports.http) >= 1  # so does signalling

        try:
            await _resume_and_check(call, break_paths)
        finally:
            call.host.clear_faults()


async def test_after_an_address_change_the_restarted_ice_uses_the_new_address(
    livekit_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    async with lkdesk_and_peer(livekit_server, room_name, tmp_path) as call:
        old_address = call.host.address
        relayed_before = {
            a for pc in (await call.lk.call("ice_info")).values() for a in pc["relayed"]
        }
        moved: list[str] = []

        def break_paths() -> None:
            moved.append(call.host.change_address())

        await _resume_and_check(call, break_paths)
        new_address = moved[0]
        assert new_address != old_address
        info = await call.lk.call("ice_info")
        assert all(a.startswith(new_address + ":") for pc in info.values() for a in pc["local"])
        # TURN relay candidates sit on the server's address; the restart allocates new ones
        relayed_after = {a for pc in info.values() for a in pc["relayed"]}
        assert not relayed_after & relayed_before

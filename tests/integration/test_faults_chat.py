"""Chat survives the network faults of real calls, both ways, exactly once (issue 20).

lkdesk runs in its own network namespace (tests/integration/netns.py) and talks to the real
server across a veth link the test breaks; the other participant is the official SDK in the
sandbox namespace. Both send numbered chat messages five times a second while the fault
happens. Every message must arrive exactly once and in order, and nothing lkdesk reported as
sent may be missing at the peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from livekit import rtc as sdk

from tests.integration.livekit_server import LiveKitServer
from tests.integration.netns import NetnsHost, netns_host
from tests.integration.peers import SdkPeer
from tests.integration.remote_lkdesk import RemoteLkdesk, remote_lkdesk

pytestmark = pytest.mark.integration

MESSAGES = 60
RATE_HZ = 5.0
FAULT_AT_S = 2.0
DELIVERY_DEADLINE_S = 40.0
CHAT_TOPIC = "lk.chat"


@pytest.fixture
def private_server() -> Iterator[LiveKitServer]:
    """A server of the test's own: some faults restart it."""
    server = LiveKitServer.create()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class SdkChatter:
    """The official SDK's side: receives lk.chat text streams, sends numbered ones."""

    def __init__(self, peer: SdkPeer) -> None:
        self._peer = peer
        self._slots: list[tuple[str, str] | None] = []
        self._readers: set[asyncio.Task[None]] = set()
        self.may_send = asyncio.Event()
        self.may_send.set()
        peer.room.register_text_stream_handler(CHAT_TOPIC, self._on_stream)

    def _on_stream(self, reader: sdk.TextStreamReader, identity: str) -> None:
        # In the order the streams began (the handler runs on each header), text filled in
        # once complete; incomplete streams never count.
        slot = len(self._slots)
        self._slots.append(None)
        task = asyncio.create_task(self._read(reader, identity, slot))
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)

    async def _read(self, reader: sdk.TextStreamReader, identity: str, slot: int) -> None:
        self._slots[slot] = (identity, await reader.read_all())

    @property
    def received(self) -> list[tuple[str, str]]:
        return [entry for entry in self._slots if entry is not None]

    async def send_numbered(
        self, prefix: str, count: int, rate_hz: float, recipient: str
    ) -> list[str]:
        """Send in order, each only while the SDK is connected and ``recipient`` is in its room.

        The SDK reports success for a send made while it reconnects and drops the message
        (REAL_COMPONENTS.md), and the server delivers a message only to those in the room when
        it arrives; neither is lkdesk's doing, so the sender waits them out (a send that raises
        is retried) and what the test measures is lkdesk.
        """
        room = self._peer.room
        sent: list[str] = []
        start = time.monotonic()
        for i in range(1, count + 1):
            text = f"{prefix}-{i}"
            while True:
                await self.may_send.wait()
                if (
                    room.connection_state != sdk.ConnectionState.CONN_CONNECTED
                    or recipient not in room.remote_participants
                ):
                    await asyncio.sleep(0.05)
                    continue
                try:
                    await room.local_participant.send_text(text, topic=CHAT_TOPIC)
                    break
                except Exception:  # noqa: BLE001 - the SDK raises several types while reconnecting
                    await asyncio.sleep(0.2)
            sent.append(text)
            await asyncio.sleep(max(0.0, start + i / rate_hz - time.monotonic()))
        return sent

    async def aclose(self) -> None:
        for task in list(self._readers):
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


@contextlib.asynccontextmanager
async def call_with_faultable_lkdesk(
    server: LiveKitServer, room: str, log_dir: Path
) -> AsyncIterator[tuple[NetnsHost, RemoteLkdesk, SdkPeer, SdkChatter]]:
    """lkdesk (camera + mic) in a namespace host and an SDK peer (camera) in one room."""
    with netns_host() as host:
        async with remote_lkdesk(host, log_dir) as lk:
            peer = SdkPeer(server.ws_url, server.token("peer", room))
            await peer.connect()
            chatter = SdkChatter(peer)
            try:
                await peer.publish_video(color=(30, 210, 60))
                await lk.call("connect", url=server.lan_ws_url, token=server.token("lkdesk", room))
                await lk.call("publish_video", color=[220, 30, 200])
                await lk.call("publish_tone", freq_hz=440.0)
                await _until(lambda: lk.call("video_report", identity="peer"), _has_frames)
                yield host, lk, peer, chatter
            except BaseException:
                print(f"--- lkdesk agent log ---\n{lk.log_tail()}")
                raise
            finally:
                await chatter.aclose()
                await peer.aclose()


def _has_frames(report: dict[str, Any]) -> bool:
    return bool(report) and report["frames"] > 0


async def _until(
    probe: Callable[[], Awaitable[Any]], ok: Callable[[Any], bool], deadline_s: float = 20.0
) -> Any:
    async with asyncio.timeout(deadline_s):
        while True:
            value = await probe()
            if ok(value):
                return value
            await asyncio.sleep(0.2)


def _numbers(texts: list[str], prefix: str) -> list[int]:
    return [int(t.rsplit("-", 1)[1]) for t in texts if t.startswith(prefix + "-")]


async def _exchange_across(
    fault: Callable[[NetnsHost, LiveKitServer, SdkChatter], Awaitable[None]],
    server: LiveKitServer,
    room: str,
    log_dir: Path,
) -> None:
    async with call_with_faultable_lkdesk(server, room, log_dir) as (host, lk, _peer, chatter):
        started = time.monotonic()
        await lk.call("start_chat", prefix="lk", count=MESSAGES, rate_hz=RATE_HZ)
        peer_sending = asyncio.create_task(
            chatter.send_numbered("peer", MESSAGES, RATE_HZ, "lkdesk")
        )
        await asyncio.sleep(FAULT_AT_S)
        await fault(host, server, chatter)
        await peer_sending

        def all_in(report: dict[str, Any]) -> bool:
            got_lk = _numbers([t for s, t in chatter.received if s == "lkdesk"], "lk")
            got_peer = _numbers([r["text"] for r in report["received"]], "peer")
            return len(got_lk) >= MESSAGES and len(got_peer) >= MESSAGES

        try:
            report = await _until(lambda: lk.call("chat_report"), all_in, DELIVERY_DEADLINE_S)
        except TimeoutError:
            report = await lk.call("chat_report")
        await asyncio.sleep(1.0)  # anything arriving twice would arrive now
        report = await lk.call("chat_report")

    events = [(e["event"], round(e["t"] - started, 1)) for e in lk.events]
    at_peer = _numbers([t for s, t in chatter.received if s == "lkdesk"], "lk")
    at_lkdesk = _numbers([r["text"] for r in report["received"]], "peer")
    reported_sent = _numbers([r["text"] for r in report["sent"] if r["state"] == "sent"], "lk")
    expected = list(range(1, MESSAGES + 1))
    never_arrived = sorted(set(reported_sent) - set(at_peer))
    assert not never_arrived, (
        f"lkdesk reported as sent but the peer never got: {never_arrived}"
        f"; lkdesk's connection events: {events}"
    )
    assert (at_peer, at_lkdesk) == (expected, expected), (
        f"lkdesk → peer: {_diff(at_peer, expected)}; peer → lkdesk: {_diff(at_lkdesk, expected)}; "
        f"lkdesk's connection events: {events}"
    )


def _diff(got: list[int], expected: list[int]) -> str:
    missing = sorted(set(expected) - set(got))
    twice = sorted({n for n in got if got.count(n) > 1})
    disorder = got != sorted(got)
    return f"missing {missing}, twice {twice}, out of order {disorder}"


async def _signal_reset(host: NetnsHost, server: LiveKitServer, _chatter: SdkChatter) -> None:
    assert host.reset_tcp(server.ports.http) >= 1


async def _udp_blackout(host: NetnsHost, _server: LiveKitServer, _chatter: SdkChatter) -> None:
    host.block_udp()
    try:
        await asyncio.sleep(8.0)
    finally:
        host.unblock_udp()


async def _address_change(host: NetnsHost, _server: LiveKitServer, _chatter: SdkChatter) -> None:
    host.change_address()


async def _server_restart(_host: NetnsHost, server: LiveKitServer, chatter: SdkChatter) -> None:
    # The SDK loses what it is handed in the instant its server dies (it reports it sent);
    # its sender pauses over the crash so that what is measured is lkdesk's side.
    chatter.may_send.clear()
    await asyncio.sleep(0.3)
    try:
        await asyncio.to_thread(server.restart, 1.0)
    finally:
        chatter.may_send.set()


async def test_chat_both_ways_exactly_once_across_a_signalling_reset(
    private_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    await _exchange_across(_signal_reset, private_server, room_name, tmp_path)


async def test_chat_both_ways_exactly_once_across_an_8s_udp_blackout(
    private_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    await _exchange_across(_udp_blackout, private_server, room_name, tmp_path)


async def test_chat_both_ways_exactly_once_across_an_address_change(
    private_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    await _exchange_across(_address_change, private_server, room_name, tmp_path)


async def test_chat_both_ways_exactly_once_across_a_server_restart(
    private_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    await _exchange_across(_server_restart, private_server, room_name, tmp_path)

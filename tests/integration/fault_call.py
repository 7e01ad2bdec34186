"""A call in which the network breaks under lkdesk: what each side saw, with times.

lkdesk runs in its own network namespace (netns.py) and talks to the real server across a
veth link the test breaks; the other participant is the official SDK in the sandbox
namespace. Both publish video and send numbered chat messages five times a second; this
module records, on the monotonic clock both processes share, what arrived where and when,
so each test can state its fault's promises (exactly-once chat, media back within N s,
no rejoin seen by the peer).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from livekit import rtc as sdk

from tests.integration.analysis import content_region, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_agent import E2EE_VARIABLE
from tests.integration.lkdesk_peer import eventually
from tests.integration.netns import NetnsHost, netns_host
from tests.integration.peers import SdkPeer
from tests.integration.remote_lkdesk import RemoteLkdesk, remote_lkdesk

MESSAGES = 60
RATE_HZ = 5.0
CHAT_TOPIC = "lk.chat"
PEER_COLOUR = (30, 210, 60)
LKDESK_COLOUR = (220, 30, 200)


class SdkSide:
    """The official SDK's side: chat in and out, lkdesk's video frames with their times."""

    def __init__(self, peer: SdkPeer) -> None:
        self.peer = peer
        self._slots: list[tuple[str, str] | None] = []
        self.frame_times: list[float] = []
        self.colours: list[tuple[float, float, float]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.may_send = asyncio.Event()
        self.may_send.set()
        peer.room.register_text_stream_handler(CHAT_TOPIC, self._on_stream)
        peer.room.on("track_subscribed", self._on_track)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_stream(self, reader: sdk.TextStreamReader, identity: str) -> None:
        # Kept in the order the streams began (their handler runs on the header).
        slot = len(self._slots)
        self._slots.append(None)
        self._spawn(self._read(reader, identity, slot))

    async def _read(self, reader: sdk.TextStreamReader, identity: str, slot: int) -> None:
        self._slots[slot] = (identity, await reader.read_all())

    @property
    def received(self) -> list[tuple[str, str]]:
        return [entry for entry in self._slots if entry is not None]

    def _on_track(self, track: Any, _publication: Any, participant: Any) -> None:
        if participant.identity == "lkdesk" and track.kind == sdk.TrackKind.KIND_VIDEO:
            self._spawn(self._watch(track))

    async def _watch(self, track: sdk.RemoteTrack) -> None:
        stream = sdk.VideoStream(track, format=sdk.VideoBufferType.RGB24)
        try:
            async for event in stream:
                self.frame_times.append(time.monotonic())
                if len(self.frame_times) % 10 == 1:
                    frame = event.frame
                    rgb = np.frombuffer(frame.data, dtype=np.uint8)
                    rgb = rgb.reshape(frame.height, frame.width, 3)
                    self.colours.append(mean_color(rgb, content_region(frame.width, frame.height)))
        finally:
            await stream.aclose()

    async def send_numbered(self, prefix: str, count: int, rate_hz: float) -> None:
        """Send in order, each only while the SDK is connected and lkdesk is in its room.

        The SDK reports success for a send made while it reconnects and drops the message
        (REAL_COMPONENTS.md), and the server delivers a message only to those in the room when
        it arrives; neither is lkdesk's doing, so the sender waits them out (a send that raises
        is retried) and what the tests measure is lkdesk.
        """
        room = self.peer.room
        start = time.monotonic()
        for i in range(1, count + 1):
            while True:
                await self.may_send.wait()
                if (
                    room.connection_state != sdk.ConnectionState.CONN_CONNECTED
                    or "lkdesk" not in room.remote_participants
                ):
                    await asyncio.sleep(0.05)
                    continue
                try:
                    await room.local_participant.send_text(f"{prefix}-{i}", topic=CHAT_TOPIC)
                    break
                except Exception:  # noqa: BLE001 - the SDK raises several types while reconnecting
                    await asyncio.sleep(0.2)
            await asyncio.sleep(max(0.0, start + i / rate_hz - time.monotonic()))

    def lkdesk_left_events(self) -> int:
        return sum(
            1 for (p,) in self.peer.events["participant_disconnected"] if p.identity == "lkdesk"
        )

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@dataclass
class Outcome:
    """What happened during one faulty call (times are monotonic seconds)."""

    started: float
    fault_start: float
    fault_end: float
    lkdesk_events: list[dict[str, Any]]
    chat: dict[str, Any]
    at_peer: list[int]
    at_lkdesk: list[int]
    peer_frame_times: list[float]
    peer_colours: list[tuple[float, float, float]]
    lkdesk_video: dict[str, Any]
    lkdesk_left_seen_by_peer: int
    sids: list[str] = field(default_factory=list)
    log_tail: str = ""

    def times_of(self, event: str) -> list[float]:
        return [e["t"] for e in self.lkdesk_events if e["event"] == event]

    def events_line(self) -> str:
        return ", ".join(f"{e['event']}@{e['t'] - self.started:.1f}" for e in self.lkdesk_events)

    def first_frame_at_peer_after(self, t: float) -> float | None:
        return next((f for f in self.peer_frame_times if f > t), None)

    def longest_peer_gap(self, after: float, before: float) -> float:
        times = [t for t in self.peer_frame_times if after <= t <= before]
        return max((b - a for a, b in itertools.pairwise(times)), default=float("inf"))


def numbers(texts: list[str], prefix: str) -> list[int]:
    return [int(t.rsplit("-", 1)[1]) for t in texts if t.startswith(prefix + "-")]


def describe(got: list[int], expected: list[int]) -> str:
    missing = sorted(set(expected) - set(got))
    twice = sorted({n for n in got if got.count(n) > 1})
    return f"missing {missing}, twice {twice}, out of order {got != sorted(got)}"


Fault = Callable[[NetnsHost, LiveKitServer, SdkSide], Awaitable[None]]


async def run_faulty_call(
    fault: Fault, server: LiveKitServer, room: str, log_dir: Path, fault_at_s: float = 2.0
) -> Outcome:
    """Join both sides, exchange chat and video, break the link at ``fault_at_s``."""
    with netns_host() as host:
        async with remote_lkdesk(host, log_dir) as lk, _sdk_side(server, room) as side:
            try:
                outcome = await _exchange(lk, side, host, server, fault, fault_at_s)
                outcome.log_tail = lk.log_tail(5000)
                return outcome
            except BaseException:
                print(f"--- lkdesk agent log ---\n{lk.log_tail()}")
                raise


@contextlib.asynccontextmanager
async def _sdk_side(server: LiveKitServer, room: str) -> AsyncIterator[SdkSide]:
    passphrase = os.environ.get(E2EE_VARIABLE)  # the suite run in an encrypted room
    encryption = None
    if passphrase:
        keys = sdk.KeyProviderOptions(shared_key=passphrase.encode(), ratchet_window_size=0)
        encryption = sdk.E2EEOptions(key_provider_options=keys)
    peer = SdkPeer(server.ws_url, server.token("peer", room), encryption=encryption)
    await peer.connect()
    side = SdkSide(peer)
    try:
        await peer.publish_video(color=PEER_COLOUR)
        yield side
    finally:
        await side.aclose()
        await peer.aclose()


async def _exchange(
    lk: RemoteLkdesk,
    side: SdkSide,
    host: NetnsHost,
    server: LiveKitServer,
    fault: Fault,
    at_s: float,
) -> Outcome:
    joined = await lk.call(
        "connect", url=server.lan_ws_url, token=server.token("lkdesk", _room(side))
    )
    await lk.call("publish_video", color=list(LKDESK_COLOUR))
    await lk.call("publish_tone", freq_hz=440.0)
    await _until(
        lambda: lk.call("video_report", identity="peer"), lambda r: bool(r) and r["frames"] > 0
    )
    await _until_true(lambda: bool(side.frame_times))
    started = time.monotonic()
    await lk.call("start_chat", prefix="lk", count=MESSAGES, rate_hz=RATE_HZ)
    peer_sending = asyncio.create_task(side.send_numbered("peer", MESSAGES, RATE_HZ))
    await asyncio.sleep(at_s)
    fault_start = time.monotonic()
    await fault(host, server, side)
    fault_end = time.monotonic()
    await peer_sending

    def all_in(report: dict[str, Any]) -> bool:
        got_lk = numbers([t for s, t in side.received if s == "lkdesk"], "lk")
        got_peer = numbers([r["text"] for r in report["received"]], "peer")
        return len(got_lk) >= MESSAGES and len(got_peer) >= MESSAGES

    with contextlib.suppress(TimeoutError):
        await _until(lambda: lk.call("chat_report"), all_in, 40.0)
    await asyncio.sleep(1.5)  # a message arriving twice, or late video, would show now
    report = await lk.call("chat_report")
    state = await lk.call("state")
    return Outcome(
        started=started,
        fault_start=fault_start,
        fault_end=fault_end,
        lkdesk_events=list(lk.events),
        chat=report,
        at_peer=numbers([t for s, t in side.received if s == "lkdesk"], "lk"),
        at_lkdesk=numbers([r["text"] for r in report["received"]], "peer"),
        peer_frame_times=list(side.frame_times),
        peer_colours=list(side.colours),
        lkdesk_video=await lk.call("video_report", identity="peer"),
        lkdesk_left_seen_by_peer=side.lkdesk_left_events(),
        sids=[joined["sid"], state["sid"]],
    )


def _room(side: SdkSide) -> str:
    return side.peer.room.name


async def _until(
    probe: Callable[[], Awaitable[Any]], ok: Callable[[Any], bool], deadline_s: float = 20.0
) -> Any:
    async with asyncio.timeout(deadline_s):
        while True:
            value = await probe()
            if ok(value):
                return value
            await asyncio.sleep(0.2)


async def _until_true(condition: Callable[[], bool], deadline_s: float = 20.0) -> None:
    await eventually(condition, deadline_s)

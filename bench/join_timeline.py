"""A timeline of lkdesk joins: every signalling message, connected, first RTP, first frame.

Run inside the test sandbox (real server, private network namespace):
    bash tests/sandbox/run-in-sandbox.sh .venv/bin/python -m bench.join_timeline --joins 3
An SDK peer publishes 640x360 VP8; lkdesk joins (two PCs) and reads the first frame. The
timestamps come from wrappers around the engine's message router and request sender and
aioice's datagram handler (for the first RTP-looking datagrams); a probe, not an API.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import aioice.ice as ice

from lkdesk import rtc as lk
from lkdesk.rtc.engine import engine_requests, messages
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer


class Timeline:
    def __init__(self) -> None:
        self.start = 0.0
        self.marks: list[tuple[float, str]] = []
        self.datagrams = 0

    def mark(self, what: str) -> None:
        if self.start:
            self.marks.append(((time.perf_counter() - self.start) * 1000, what))


def instrument(timeline: Timeline) -> None:
    route = messages.MessageRouter.route
    send = engine_requests.EngineRequests.send
    received = ice.StunProtocol.datagram_received

    async def timed_route(self: Any, message: Any) -> None:
        kind = message.WhichOneof("message")
        video = " (with video)" if kind == "offer" and "m=video" in message.offer.sdp else ""
        timeline.mark(f"< {kind}{video}")
        await route(self, message)

    def timed_send(self: Any, request: Any) -> None:
        timeline.mark(f"> {request.WhichOneof('message')}")
        send(self, request)

    def timed_datagram(self: Any, data: bytes, addr: Any) -> None:
        rtp = bool(data) and 128 <= data[0] < 192 and len(data) > 200
        if rtp and timeline.datagrams < 1:
            timeline.datagrams += 1
            timeline.mark(f"first RTP-sized datagram ({len(data)} B)")
        received(self, data, addr)

    messages.MessageRouter.route = timed_route  # type: ignore[method-assign]
    engine_requests.EngineRequests.send = timed_send  # type: ignore[method-assign]
    ice.StunProtocol.datagram_received = timed_datagram  # type: ignore[method-assign]


async def one_join(server: LiveKitServer, identity: str, timeline: Timeline) -> None:
    room = lk.Room()
    first = asyncio.Event()
    readers: list[asyncio.Task[None]] = []

    async def read(track: Any) -> None:
        async for _ in lk.VideoStream(track):
            timeline.mark("first decoded frame")
            first.set()
            return

    def on_subscribed(track: Any, *_: object) -> None:
        timeline.mark(f"track_subscribed (kind {track.kind})")
        if track.kind == lk.TrackKind.KIND_VIDEO:
            readers.append(asyncio.create_task(read(track)))

    room.on("track_subscribed", on_subscribed)
    timeline.start, timeline.marks, timeline.datagrams = time.perf_counter(), [], 0
    options = lk.RoomOptions(single_peer_connection=False)
    await room.connect(server.ws_url, server.token(identity, "timeline"), options)
    timeline.mark("connect() returned")
    await asyncio.wait_for(first.wait(), 15)
    timeline.start = 0.0
    await room.disconnect()
    await asyncio.gather(*readers, return_exceptions=True)


async def main(joins: int) -> None:
    timeline = Timeline()
    instrument(timeline)
    server = LiveKitServer.create()
    server.start()
    publisher = SdkPeer(server.ws_url, server.token("publisher", "timeline"))
    try:
        await publisher.connect()
        await publisher.publish_video(width=640, height=360)
        await asyncio.sleep(1)
        await one_join(server, "warm-up", timeline)
        for index in range(joins):
            await one_join(server, f"lkdesk-{index}", timeline)
            print(f"--- join {index + 1}")
            for at, what in timeline.marks:
                print(f"{at:8.1f} ms  {what}")
    finally:
        await publisher.aclose()
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joins", type=int, default=3)
    asyncio.run(main(parser.parse_args().joins))

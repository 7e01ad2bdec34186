"""Warm join time and time to first remote video frame: lkdesk vs the official Python SDK.

Run inside the test sandbox (real server, private network namespace):
    bash tests/sandbox/run-in-sandbox.sh .venv/bin/python -m bench.join_latency --rounds 10
Each client joins the same room in turn while an SDK peer publishes VP8 video, in both
peer-connection modes: two PCs (``/rtc``, "v0") and one PC (``/rtc/v1``, "v1"), forced
through ``RoomOptions.single_peer_connection`` (the same name in both libraries).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from livekit import rtc as sdk

from lkdesk import rtc as lk
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer

#: Pause before each join, longer than the server's PLI throttle for the publisher (1 s at
#: livekit-server's default ``pli_throttle``): without it a join right after another got
#: its first keyframe only when the throttle let the server's next PLI through (~400 ms
#: later, seen in the server's debug log), so each client's first frame depended on who
#: joined just before it.
PAUSE_S = 1.2

#: The clients measured: name → (library, single_peer_connection).
CLIENTS: dict[str, tuple[Any, bool]] = {
    "lkdesk v0": (lk, False),
    "lkdesk v1": (lk, True),
    "sdk v0": (sdk, False),
    "sdk v1": (sdk, True),
}


async def join_round(
    client: Any, server: LiveKitServer, room: str, identity: str, *, single_pc: bool
) -> tuple[float, float]:
    """One join with ``client`` (``lkdesk.rtc`` or ``livekit.rtc``: the same names work)."""
    session = client.Room()
    options = client.RoomOptions(single_peer_connection=single_pc)
    first_frame: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    readers: list[asyncio.Task[None]] = []

    async def read(track: Any) -> None:
        async for _ in client.VideoStream(track):
            if not first_frame.done():
                first_frame.set_result(time.perf_counter())
            return

    def on_subscribed(track: Any, *_: object) -> None:
        if track.kind == client.TrackKind.KIND_VIDEO:
            readers.append(asyncio.create_task(read(track)))

    session.on("track_subscribed", on_subscribed)
    start = time.perf_counter()
    await session.connect(server.ws_url, server.token(identity, room), options)
    joined = time.perf_counter()
    frame_at = await asyncio.wait_for(first_frame, 15)
    if client is lk:  # the mode really used (a server without /rtc/v1 would give two PCs)
        assert (session._engine.single_connection is not None) == single_pc
    await session.disconnect()
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return joined - start, frame_at - start


def summary(name: str, samples: list[tuple[float, float]]) -> tuple[float, float]:
    join = statistics.median(s[0] for s in samples) * 1000
    frame = statistics.median(s[1] for s in samples) * 1000
    print(
        f"{name:10s} join p50 {join:7.1f} ms   first frame p50 {frame:7.1f} ms   (n={len(samples)})"
    )
    return join, frame


async def main(rounds: int) -> None:
    server = LiveKitServer.create()
    server.start()
    try:
        room = "bench-join"
        publisher = SdkPeer(server.ws_url, server.token("publisher", room))
        await publisher.connect()
        await publisher.publish_video(width=640, height=360)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in CLIENTS}
        for n, (client, single_pc) in enumerate(CLIENTS.values()):
            await join_round(client, server, room, f"warmup-{n}", single_pc=single_pc)
        for i in range(rounds):  # interleaved, so load drifts hit every client alike
            for n, (name, (client, single_pc)) in enumerate(CLIENTS.items()):
                await asyncio.sleep(PAUSE_S)
                sample = await join_round(client, server, room, f"c{n}-{i}", single_pc=single_pc)
                results[name].append(sample)
        medians = {name: summary(name, samples) for name, samples in results.items()}
        for a, b in (
            ("lkdesk v0", "sdk v0"),
            ("lkdesk v1", "sdk v1"),
            ("lkdesk v1", "lkdesk v0"),
            ("sdk v1", "sdk v0"),
            ("lkdesk v1", "sdk v0"),
        ):
            join_ratio = medians[a][0] / medians[b][0]
            frame_ratio = medians[a][1] / medians[b][1]
            print(f"ratio {a}/{b}: join {join_ratio:.2f}x, first frame {frame_ratio:.2f}x")
        await publisher.aclose()
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    asyncio.run(main(parser.parse_args().rounds))

"""Warm join time and time to first remote video frame: lkdesk vs the official Python SDK.

Run inside the test sandbox (real server, private network namespace):
    bash tests/sandbox/run-in-sandbox.sh .venv/bin/python -m bench.join_latency --rounds 10
Both clients join the same room, alternately, while an SDK peer publishes VP8 video.
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


async def join_round(
    client: Any, server: LiveKitServer, room: str, identity: str
) -> tuple[float, float]:
    """One join with ``client`` (``lkdesk.rtc`` or ``livekit.rtc``: the same names work)."""
    session = client.Room()
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
    await session.connect(server.ws_url, server.token(identity, room))
    joined = time.perf_counter()
    frame_at = await asyncio.wait_for(first_frame, 15)
    await session.disconnect()
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return joined - start, frame_at - start


def summary(name: str, samples: list[tuple[float, float]]) -> tuple[float, float]:
    join = statistics.median(s[0] for s in samples) * 1000
    frame = statistics.median(s[1] for s in samples) * 1000
    print(
        f"{name:8s} join p50 {join:7.1f} ms   first frame p50 {frame:7.1f} ms   (n={len(samples)})"
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
        results: dict[str, list[tuple[float, float]]] = {"lkdesk": [], "sdk": []}
        await join_round(lk, server, room, "warmup-lk")
        await join_round(sdk, server, room, "warmup-sdk")
        for i in range(rounds):
            results["lkdesk"].append(await join_round(lk, server, room, f"lk-{i}"))
            results["sdk"].append(await join_round(sdk, server, room, f"sdk-{i}"))
        lk_join, lk_frame = summary("lkdesk", results["lkdesk"])
        sdk_join, sdk_frame = summary("sdk", results["sdk"])
        join_ratio, frame_ratio = lk_join / sdk_join, lk_frame / sdk_frame
        print(f"ratio lkdesk/sdk: join {join_ratio:.2f}x, first frame {frame_ratio:.2f}x")
        await publisher.aclose()
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    asyncio.run(main(parser.parse_args().rounds))

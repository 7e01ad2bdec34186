"""Child process for benchmarks: N official-SDK peers publishing 640x360 30 fps VP8.

    python -m bench.sdk_publishers URL ROOM COUNT

Runs until its standard input closes, so the parent's exit always ends it.
"""

from __future__ import annotations

import asyncio
import sys
import time

from livekit import api
from livekit import rtc as sdk

from tests.integration.analysis import make_frame

WIDTH, HEIGHT, FPS = 640, 360, 30


async def publish(url: str, room_name: str, index: int) -> tuple[sdk.Room, asyncio.Task[None]]:
    token = (
        api.AccessToken("devkey", "secret")
        .with_identity(f"pub-{index}")
        .with_name(f"Publisher {index + 1}")
        .with_grants(api.VideoGrants(room_join=True, room=room_name))
        .to_jwt()
    )
    room = sdk.Room()
    await room.connect(url, token)
    source = sdk.VideoSource(WIDTH, HEIGHT)
    track = sdk.LocalVideoTrack.create_video_track("camera", source)
    options = sdk.TrackPublishOptions(
        source=sdk.TrackSource.SOURCE_CAMERA, video_codec=sdk.VideoCodec.VP8, simulcast=False
    )
    await room.local_participant.publish_track(track, options)
    color = ((index * 70) % 255, (index * 130) % 255, (index * 190) % 255)
    frames = [make_frame(color, n, WIDTH, HEIGHT).tobytes() for n in range(FPS)]

    async def produce() -> None:
        start, n = time.monotonic(), 0
        while True:
            source.capture_frame(
                sdk.VideoFrame(WIDTH, HEIGHT, sdk.VideoBufferType.RGB24, frames[n % FPS])
            )
            n += 1
            await asyncio.sleep(max(0.0, start + n / FPS - time.monotonic()))

    return room, asyncio.create_task(produce())


async def main(url: str, room_name: str, count: int) -> None:
    peers = [await publish(url, room_name, i) for i in range(count)]
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for room, task in peers:
        task.cancel()
        await room.disconnect()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))

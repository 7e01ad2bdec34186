"""Official-SDK camera publishers in a process of their own (for tests with many of them).

``python -m tests.integration.sdk_publishers URL WIDTH HEIGHT FPS TOKEN...`` joins one SDK
room per token (no subscriptions), publishes a moving textured picture in VP8 simulcast from
each, prints ``ready`` once all are published, and runs until its stdin closes. Frames are
prepared as I420 up front, so publishing costs the test machine little beyond encoding.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time

import cv2
import numpy as np
from livekit import rtc as sdk

from tests.integration.lkdesk_media import texture

NOISE = 2  # levels of fresh noise per pixel and frame
TOP_BPS = 600_000  # the 720p layer's cap: nine of them must fit the test machine


def frames(width: int, height: int, fps: int, seed: int) -> list[bytes]:
    """One second of a picture scrolling 12 pixels a frame, with fresh sensor-like noise
    in every frame (a clean scroll is predicted almost for free: a few kbit/s at 720p),
    as I420."""
    wide = texture(width, height, (40 + 20 * seed, 180 - 15 * seed, 90), seed)
    rng = np.random.default_rng(seed)
    out = []
    for n in range(fps):
        rgb = wide[:, n * 12 : n * 12 + width].astype(np.int16)
        rgb += rng.integers(-NOISE, NOISE + 1, rgb.shape, dtype=np.int16)
        picture = np.clip(rgb, 0, 255).astype(np.uint8)
        out.append(cv2.cvtColor(picture, cv2.COLOR_RGB2YUV_I420).tobytes())
    return out


async def produce(source: sdk.VideoSource, pictures: list[bytes], fps: int) -> None:
    n, start = 0, time.monotonic()
    while True:
        picture = pictures[n % len(pictures)]
        source.capture_frame(
            sdk.VideoFrame(source.width, source.height, sdk.VideoBufferType.I420, picture)
        )
        n += 1
        await asyncio.sleep(max(0.0, start + n / fps - time.monotonic()))


async def main() -> None:
    url, width, height, fps, *tokens = sys.argv[1:]
    w, h, rate = int(width), int(height), int(fps)
    rooms: list[sdk.Room] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for seed, token in enumerate(tokens):
            room = sdk.Room()
            rooms.append(room)
            await room.connect(url, token, sdk.RoomOptions(auto_subscribe=False))
            source = sdk.VideoSource(w, h)
            tasks.append(asyncio.create_task(produce(source, frames(w, h, rate, seed), rate)))
            options = sdk.TrackPublishOptions(
                source=sdk.TrackSource.SOURCE_CAMERA, video_codec=sdk.VideoCodec.VP8,
                simulcast=True,
                video_encoding=sdk.VideoEncoding(max_bitrate=TOP_BPS, max_framerate=rate),
            )  # fmt: skip
            track = sdk.LocalVideoTrack.create_video_track("camera", source)
            await room.local_participant.publish_track(track, options)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for room in rooms:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await room.disconnect()


if __name__ == "__main__":
    asyncio.run(main())

"""Remote video reaches the UI converted once, at the size the UI asked for (no network)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import av
import numpy as np

from lkdesk import rtc
from lkdesk.core.tasks import TaskSet
from lkdesk.session.model import TileKey, VideoKind
from lkdesk.session.remote_video import RemoteVideo


def i420(width: int, height: int) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(
        np.full((height, width, 3), 90, dtype=np.uint8), format="rgb24"
    ).reformat(format="yuv420p")
    frame.pts = 0
    return frame


async def test_frames_follow_the_size_the_ui_shows_them_at() -> None:
    tasks = TaskSet("test")
    frames: list[tuple[TileKey, Any]] = []
    arrived = asyncio.Event()

    def emit(name: str, key: TileKey, *args: Any) -> None:
        frames.append((key, *args))
        arrived.set()

    sizes: dict[TileKey, tuple[int, int]] = {}
    video = RemoteVideo(tasks, emit, sizes)
    track = rtc.RemoteTrack(
        "TR_s", "screen", rtc.TrackKind.KIND_VIDEO, rtc.TrackSource.SOURCE_CAMERA
    )
    screen = SimpleNamespace(source=rtc.TrackSource.SOURCE_SCREENSHARE)
    video.add(track, screen, "amara")  # type: ignore[arg-type]
    key = TileKey("amara", VideoKind.SCREEN)

    async def next_frame() -> Any:
        arrived.clear()
        track.deliver(i420(1280, 720))
        async with asyncio.timeout(5):
            await arrived.wait()
        return frames[-1]

    await asyncio.sleep(0)  # the pump starts and opens its stream
    assert track._sinks

    first = await next_frame()
    assert first[0] == key and first[1].shape == (720, 1280, 4)  # BGRA, as decoded
    sizes[key] = (500, 500)  # a screen share fits inside its tile
    await next_frame()  # the size applies from the frame after the one being read
    got = await next_frame()
    assert got[1].shape == (281, 500, 4)
    video.stop_all()
    await tasks.aclose()
    assert frames[-1] == (key,)  # video_ended

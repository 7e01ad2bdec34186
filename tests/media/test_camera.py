"""CameraCapture through OpenCV: a generated clip stands in for a camera (none on CI)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from lkdesk.core.frames import VideoFormat, VideoFrameEvent
from lkdesk.media.camera import CameraCapture, captured_frame
from lkdesk.media.errors import DeviceError, DeviceNotFoundError
from lkdesk.media.states import MediaState
from tests.integration.analysis import content_region, decode_counter, make_frame, mean_color

COLOURS = [(220, 30, 30), (30, 200, 40), (40, 50, 210)]  # red, green, blue: 30 frames each
SECONDS_PER_COLOUR = 1


def colour_of(counter: int) -> tuple[int, int, int]:
    return COLOURS[(counter // 30) % len(COLOURS)]


def write_clip(path: Path, frames: int, width: int = 640, height: int = 480) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, (width, height))
    assert writer.isOpened()
    try:
        for counter in range(frames):
            rgb = make_frame(colour_of(counter), counter, width, height)
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()


@pytest.fixture
def clip_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="lkdesk-clip-") as name:
        yield Path(name)


@pytest.fixture
def clip(clip_dir: Path) -> Path:
    path = clip_dir / "colours.mp4"
    write_clip(path, 90)
    return path


async def read_all(
    camera: CameraCapture, limit: int, limit_s: float = 20.0
) -> list[VideoFrameEvent]:
    events: list[VideoFrameEvent] = []
    async with asyncio.timeout(limit_s):
        async for event in camera:
            events.append(event)
            if len(events) >= limit:
                break
    return events


async def test_clip_is_read_at_the_requested_rate_with_its_colours_and_counters(
    clip: Path,
) -> None:
    camera = CameraCapture(str(clip), 640, 480, 30)
    await camera.start()
    try:
        assert camera.state == MediaState.RUNNING
        assert camera.granted is not None
        assert (camera.granted.width, camera.granted.height, camera.granted.fps) == (640, 480, 30)
        assert camera.source_fps == pytest.approx(30)
        events = await read_all(camera, 1000)  # ends by itself at the end of the clip
    finally:
        await camera.aclose()

    assert 85 <= len(events) <= 90 and camera.dropped_frames <= 5
    seconds = (events[-1].timestamp_us - events[0].timestamp_us) / 1e6
    fps = (len(events) - 1) / seconds
    assert 25 <= fps <= 31
    counters = [decode_counter(e.frame.data) for e in events]
    assert counters == sorted(set(counters)) and counters[0] == 0 and counters[-1] == 89
    for event, counter in zip(events, counters, strict=True):
        frame = event.frame
        assert (frame.width, frame.height, frame.format) == (640, 480, VideoFormat.RGB24)
        assert frame.data.shape == (480, 640, 3) and frame.data.dtype == np.uint8
        measured = mean_color(frame.data, content_region(640, 480))
        assert measured == pytest.approx(colour_of(counter), abs=12), counter
        # the encoder's input, converted once from the captured BGR: the same picture
        assert frame.i420 is not None and frame.i420.shape == (720, 640)
        encoded = av.VideoFrame.from_ndarray(frame.i420, format="yuv420p").to_ndarray(
            format="rgb24"
        )
        assert decode_counter(encoded) == counter
        assert mean_color(encoded, content_region(640, 480)) == pytest.approx(measured, abs=3)


def test_a_captured_picture_is_converted_once_to_rgb_and_i420() -> None:
    rgb = make_frame((220, 30, 30), 7, 640, 480)
    frame = captured_frame(np.ascontiguousarray(rgb[..., ::-1]))
    assert (frame.width, frame.height, frame.format) == (640, 480, VideoFormat.RGB24)
    assert np.array_equal(frame.data, rgb)
    assert frame.i420 is not None
    back = av.VideoFrame.from_ndarray(frame.i420, format="yuv420p").to_ndarray(format="rgb24")
    assert decode_counter(back) == 7
    assert mean_color(back, content_region(640, 480)) == pytest.approx((220, 30, 30), abs=3)
    # I420 needs even sizes: an odd picture goes without, and the encoder converts its RGB
    odd = captured_frame(np.zeros((481, 639, 3), np.uint8))
    assert odd.i420 is None and odd.data.shape == (481, 639, 3)


async def test_clip_ends_the_stream_unless_looped(clip_dir: Path) -> None:
    short = clip_dir / "short.mp4"
    write_clip(short, 10)

    # 20 fps: slow enough that a loaded machine's loop takes every frame (the capture keeps
    # only the latest few, by design), fast enough to stay short
    once = CameraCapture(str(short), fps=20)
    await once.start()
    events = await read_all(once, 1000)
    assert len(events) == 10 and once.state == MediaState.ENDED
    await once.aclose()

    looped = CameraCapture(str(short), fps=20, loop_file=True)
    await looped.start()
    try:
        counters = [decode_counter(e.frame.data) for e in await read_all(looped, 25)]
        assert looped.state == MediaState.RUNNING
    finally:
        await looped.aclose()
    assert counters[:12] == [*range(10), 0, 1]


async def test_bad_camera_index_is_a_clear_error_at_once() -> None:
    camera = CameraCapture(7)
    started = time.monotonic()
    with pytest.raises(DeviceNotFoundError) as caught:
        await camera.start()
    assert time.monotonic() - started < 2.0
    assert "No camera at index 7" in str(caught.value)
    assert "/dev/video7 does not exist" in str(caught.value)
    assert camera.state == MediaState.FAILED and camera.error is caught.value
    await camera.aclose()


async def test_missing_and_undecodable_files_are_clear_errors(clip_dir: Path) -> None:
    missing = CameraCapture(str(clip_dir / "nope.mp4"))
    started = time.monotonic()
    with pytest.raises(DeviceNotFoundError, match=r"Video file not found: .*nope\.mp4"):
        await missing.start()
    assert time.monotonic() - started < 2.0
    await missing.aclose()

    junk = clip_dir / "junk.mp4"
    junk.write_bytes(b"this is not a video")
    broken = CameraCapture(str(junk))
    with pytest.raises(DeviceError, match="not a video OpenCV/FFmpeg can decode"):
        await broken.start()
    await broken.aclose()


async def test_aclose_stops_a_running_capture_promptly(clip: Path) -> None:
    camera = CameraCapture(str(clip), fps=5, loop_file=True)
    await camera.start()
    await read_all(camera, 2)
    started = time.monotonic()
    await camera.aclose()
    assert time.monotonic() - started < 1.0
    assert camera.state == MediaState.CLOSED
    with pytest.raises(StopAsyncIteration):
        await camera.__anext__()

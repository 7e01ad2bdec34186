"""VideoStream converts a decoded I420 frame once, off the loop, at the size it is shown."""

from __future__ import annotations

import asyncio
import threading

import av
import numpy as np
import pytest

from lkdesk.core.frames import fitted_size
from lkdesk.rtc import RemoteTrack, TrackKind, TrackSource, VideoFormat, VideoStream


def i420(width: int, height: int, rgb: tuple[int, int, int]) -> av.VideoFrame:
    picture = np.empty((height, width, 3), dtype=np.uint8)
    picture[:] = rgb
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
    frame.pts = 0
    return frame


def camera_track() -> RemoteTrack:
    return RemoteTrack("TR_cam", "camera", TrackKind.KIND_VIDEO, TrackSource.SOURCE_CAMERA)


async def test_a_sized_stream_delivers_bgra_at_the_views_size_converted_off_the_loop() -> None:
    track = camera_track()
    stream = VideoStream(track, format=VideoFormat.BGRA)
    threads: list[int] = []
    convert = stream._convert

    def spy(raw: av.VideoFrame) -> object:
        threads.append(threading.get_ident())
        return convert(raw)

    stream._convert = spy  # type: ignore[method-assign]
    stream.set_size(320, 240, cover=True)
    track.deliver(i420(640, 360, (200, 40, 20)))
    async with asyncio.timeout(5):
        event = await anext(stream)
    await stream.aclose()
    data = event.frame.data
    # 640x360 filling 320x240: the height fits, the width overflows for the tile to crop.
    assert data.shape == (240, 427, 4)
    assert (event.frame.width, event.frame.height) == (427, 240)
    b, g, r, a = (int(v) for v in data[120, 200])
    assert abs(r - 200) < 8 and abs(g - 40) < 8 and abs(b - 20) < 8 and a == 255
    assert threads and threading.get_ident() not in threads
    assert track.total_conversion_time > 0


async def test_screen_share_fits_inside_and_unsized_streams_keep_the_decoded_size() -> None:
    track = camera_track()
    stream = VideoStream(track, format=VideoFormat.BGRA)
    track.deliver(i420(640, 360, (0, 0, 255)))
    async with asyncio.timeout(5):
        assert (await anext(stream)).frame.data.shape == (360, 640, 4)
    stream.set_size(300, 300, cover=False)
    track.deliver(i420(640, 360, (0, 0, 255)))
    async with asyncio.timeout(5):
        assert (await anext(stream)).frame.data.shape == (169, 300, 4)
    await stream.aclose()


@pytest.mark.parametrize(
    ("src", "box", "cover", "expected"),
    [
        ((640, 360), (400, 225), True, (400, 225)),
        ((640, 360), (400, 300), True, (533, 300)),
        ((640, 360), (400, 300), False, (400, 225)),
        ((360, 640), (400, 225), True, (127, 225)),  # a phone held upright: fitted, not cropped
        ((640, 360), (0, 0), True, (640, 360)),
        ((640, 360), (1280, 720), True, (1280, 720)),
    ],
)
def test_fitted_size(
    src: tuple[int, int], box: tuple[int, int], cover: bool, expected: tuple[int, int]
) -> None:
    assert fitted_size(*src, *box, cover=cover) == expected
    # A picture already at that size stays there: the tile recognises it and does not scale.
    assert fitted_size(*expected, *box, cover=cover) == expected or box == (0, 0)


async def test_frames_with_padded_rows_arrive_contiguous() -> None:
    track = camera_track()
    stream = VideoStream(track, format=VideoFormat.BGRA)
    stream.set_size(426, 240)  # 427 BGRA pixels: libswscale pads each row to 1712 bytes
    track.deliver(i420(640, 360, (1, 2, 3)))
    async with asyncio.timeout(5):
        data = (await anext(stream)).frame.data
    await stream.aclose()
    assert data.shape == (240, 427, 4)
    assert data.flags.c_contiguous

"""Cost per remote frame from decoded I420 to pixels in a tile, before and after issue 18.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench.tile_paint [--frames 300] [--size 1280x720]

No network and no publishers, so it holds on a loaded machine: a moving VP8 clip (640x360 or
``--size``, bench/encoded_publishers.py) is decoded once; then each decoded frame goes through
``VideoStream``'s conversion and into one of nine tiles of a 1280x800 grid (the real
VideoArea), which is repainted at once. CPU time (``time.thread_time``) of
- "RGB at decoded size" (what lkdesk did before issue 18): RGB24 at the decoded size,
  QPainter scaling it (smooth) into the tile on the UI thread;
- "BGRA at tile size" (after): one libswscale pass to BGRA at the tile's size in the
  worker, a 1:1 copy on the UI thread.
Run it in a checkout of the older code too (``git worktree``) for the painting before.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import av
from PySide6.QtWidgets import QApplication

from bench.encoded_publishers import encode_clip
from lkdesk.rtc import RemoteTrack, TrackKind, TrackSource, VideoFormat, VideoStream
from lkdesk.session import ParticipantState, TileKey
from lkdesk.ui.video_area import VideoArea


def decoded_clip(width: int, height: int) -> list[av.VideoFrame]:
    decoder = av.CodecContext.create("libvpx", "r")
    frames: list[av.VideoFrame] = []
    for unit in encode_clip(width, height, hue=0):
        frames += decoder.decode(av.Packet(unit.data))
    return frames


def measure(
    area: VideoArea, frames: list[av.VideoFrame], count: int, sized: bool
) -> tuple[list[float], list[float]]:
    """(conversion ms, paint ms) per frame, CPU time of this thread."""
    tiles = list(area.tiles.values())
    track = RemoteTrack("TR_x", "camera", TrackKind.KIND_VIDEO, TrackSource.SOURCE_CAMERA)
    streams = [
        VideoStream(track, format=VideoFormat.BGRA if sized else VideoFormat.RGB24) for _ in tiles
    ]
    for stream, tile in zip(streams, tiles, strict=True):
        if sized:
            stream.set_size(*tile.device_size(), cover=True)
    convert: list[float] = []
    paint: list[float] = []
    for n in range(count):
        i = n % len(tiles)
        raw = frames[n % len(frames)]
        started = time.thread_time()
        picture = streams[i]._convert(raw)
        converted = time.thread_time()
        tiles[i].set_frame(picture.data)
        tiles[i].repaint()  # paints now, as the next turn of the loop would
        painted = time.thread_time()
        convert.append((converted - started) * 1000)
        paint.append((painted - converted) * 1000)
    return convert, paint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="640x360", help="of the decoded video")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    area = VideoArea()
    area.resize(1280, 800)
    for n in range(9):
        area.add_tile(TileKey(f"p{n}"), ParticipantState(f"p{n}", f"P {n}", camera_on=True))
    area.show()
    app.processEvents()
    width, height = (int(v) for v in args.size.split("x"))
    frames = decoded_clip(width, height)
    sizes = sorted({(t.width(), t.height()) for t in area.tiles.values()})
    print(f"load {os.getloadavg()}; tiles {sizes}; {len(frames)} decoded {args.size} frames")
    modes: list[tuple[str, bool]] = [("RGB at decoded size", False)]
    if hasattr(VideoStream, "set_size"):  # this bench also runs on the code before issue 18
        modes.append(("BGRA at tile size", True))
    results: dict[str, Any] = {}
    for _ in range(2):  # alternate, so that a change in load hits both
        for name, sized in modes:
            convert, paint = measure(area, frames, args.frames, sized)
            results.setdefault(name, ([], []))
            results[name][0].extend(convert)
            results[name][1].extend(paint)
    scaled = sum(getattr(t, "frames_scaled", t.frames_shown) for t in area.tiles.values())
    total = sum(t.frames_shown for t in area.tiles.values())
    med: Callable[[list[float]], float] = statistics.median
    for name, (convert, paint) in results.items():
        per_frame = med(convert) + med(paint)
        print(
            f"{name:22s} convert {med(convert):.3f} ms (worker), paint {med(paint):.3f} ms "
            f"(UI thread), {per_frame:.3f} ms a frame = {per_frame * 270 / 10:.1f}% of a core "
            f"for nine tiles at 30 fps"
        )
    print(f"frames painted through QPainter scaling: {scaled} of {total}")
    print(f"load {os.getloadavg()}")


if __name__ == "__main__":
    main()

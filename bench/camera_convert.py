"""CPU per camera frame from the captured BGR to what the VP8 encoder takes, before and after
the I420 conversion moved into the capture thread (no network, no encoder).

    .venv/bin/python -m bench.camera_convert [--frames 300]

before: BGR -> RGB (capture thread), RGB copied into an av frame (event loop), RGB -> I420
(libswscale in aiortc's encoder thread). after: BGR -> RGB (to show) and BGR -> I420 (to
encode) in the capture thread, the I420 copied into an av frame (event loop), the encoder
takes it as it is. OpenCV runs on one thread so that ``time.thread_time`` sees all its work.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import av
import cv2
import numpy as np

from lkdesk.media.camera import captured_frame
from tests.integration.analysis import make_frame


def per_frame_ms(
    path: Callable[[np.ndarray], float], bgr: np.ndarray, frames: int
) -> tuple[float, float]:
    """(all of a frame's CPU, the median of its part on the event loop), in ms."""
    path(bgr)
    on_loop = []
    start = time.thread_time()
    for _ in range(frames):
        on_loop.append(path(bgr))
    return (time.thread_time() - start) / frames * 1e3, float(np.median(on_loop)) * 1e3


def before(bgr: np.ndarray) -> float:
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    t0 = time.thread_time()
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    t1 = time.thread_time()
    frame.reformat(format="yuv420p")
    return t1 - t0


def after(bgr: np.ndarray) -> float:
    picture = captured_frame(bgr)
    assert picture.i420 is not None
    t0 = time.thread_time()
    av.VideoFrame.from_ndarray(picture.i420, format="yuv420p")
    return time.thread_time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print(
        "| size | path | CPU per frame, ms | of it on the event loop, ms | at 30 fps, % of a core |"
    )
    print("|---|---|---|---|---|")
    for width, height in ((640, 480), (1280, 720)):
        bgr = np.ascontiguousarray(make_frame((40, 160, 220), 7, width, height)[..., ::-1])
        for name, path in (("before", before), ("after", after)):
            total, loop_ms = per_frame_ms(path, bgr, args.frames)
            print(f"| {width}x{height} | {name} | {total:.3f} | {loop_ms:.3f} | {total * 3:.1f} |")


if __name__ == "__main__":
    main()

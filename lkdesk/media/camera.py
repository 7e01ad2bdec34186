"""Camera capture with OpenCV, in a dedicated thread; a video file or URL can stand in.

``CameraCapture(0)`` opens a camera by index; ``CameraCapture("clip.mp4")`` plays a file
(paced to the requested fps, optionally looping) through the same code. Frames come out as
RGB :class:`VideoFrameEvent` with a ``time.monotonic_ns() // 1000`` timestamp.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import cv2

from lkdesk.core.frames import VideoFormat, VideoFrame
from lkdesk.media._video_thread import CaptureFormat, OpenedSource, ThreadedVideoCapture
from lkdesk.media.devices import camera_index_message
from lkdesk.media.errors import (
    DeviceBusyError,
    DeviceError,
    DeviceFailedError,
    DeviceNotFoundError,
)

logger = logging.getLogger(__name__)

READ_FAILURE_GRACE_S = 2.0
"""A camera that returns no picture for this long is considered gone."""


class _OpenCvReader:
    """Reads BGR frames from a cv2.VideoCapture and converts them (thread-only)."""

    def __init__(
        self,
        capture: Any,
        first: VideoFrame,
        *,
        is_file: bool,
        loop_file: bool,
        what: str,
        stop: threading.Event,
    ) -> None:
        self._capture = capture
        self._pending: VideoFrame | None = first
        self._is_file = is_file
        self._loop_file = loop_file
        self._what = what
        self._stop = stop

    def read(self) -> VideoFrame | None:
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        ok, bgr = self._capture.read()
        if ok:
            return captured_frame(bgr)
        if self._is_file:
            return self._rewind() if self._loop_file else None
        return self._retry_camera()

    def _rewind(self) -> VideoFrame:
        self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        ok, bgr = self._capture.read()
        if not ok:
            raise DeviceFailedError(f"{self._what} could not be played again from the start.")
        return captured_frame(bgr)

    def _retry_camera(self) -> VideoFrame | None:
        deadline = time.monotonic() + READ_FAILURE_GRACE_S
        while time.monotonic() < deadline:
            if self._stop.wait(0.02):
                return None
            ok, bgr = self._capture.read()
            if ok:
                return captured_frame(bgr)
        raise DeviceFailedError(
            f"{self._what} stopped delivering pictures (unplugged, or taken by another "
            "application). Reconnect it or choose another camera."
        )

    def close(self) -> None:
        self._capture.release()


def captured_frame(bgr: Any) -> VideoFrame:
    """A captured (height, width, 3) BGR picture as an RGB :class:`VideoFrame` (to show)
    with its I420 (to encode), each converted once from the BGR, in the capture thread.

    I420 needs even sizes: a picture of odd width or height (only files have those) goes
    without, and the encoder converts its RGB.
    """
    height, width = bgr.shape[:2]
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    i420 = None if width % 2 or height % 2 else cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
    return VideoFrame(width=width, height=height, format=VideoFormat.RGB24, data=rgb, i420=i420)


class CameraCapture(ThreadedVideoCapture):
    """A camera (``int`` index) or a video file / URL (``str``) as a stream of RGB frames.

    ``requested`` is what was asked; after :meth:`start`, ``granted`` is what the source
    delivers (a camera may ignore the request; a file keeps its own size and is paced to the
    requested fps). ``loop_file`` restarts a file at its end instead of ending the stream.
    """

    def __init__(
        self,
        source: int | str,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        *,
        loop_file: bool = False,
    ) -> None:
        super().__init__(CaptureFormat(width, height, fps), thread_name="lkdesk-camera")
        self.source = source
        self.loop_file = loop_file
        self.source_fps: float | None = None
        """The frame rate a file declares (files only)."""

    def _describe(self) -> str:
        if isinstance(self.source, int):
            return f"The camera {self.source}"
        return f"The video {self.source!r}"

    def _open_reader(self, stop: threading.Event) -> OpenedSource:
        if isinstance(self.source, int):
            return self._open_camera(self.source, stop)
        return self._open_file(self.source, stop)

    def _open_camera(self, index: int, stop: threading.Event) -> OpenedSource:
        missing = camera_index_message(index)
        if missing is not None:
            raise DeviceNotFoundError(missing)
        backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
        capture = cv2.VideoCapture(index, backend)
        try:
            if not capture.isOpened():
                raise DeviceBusyError(
                    f"The camera {index} could not be opened: another application may be using "
                    "it, or lkdesk lacks permission (Linux: the 'video' group). Close other "
                    "video applications or choose another camera."
                )
            capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.requested.width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.requested.height)
            capture.set(cv2.CAP_PROP_FPS, self.requested.fps)
            ok, bgr = capture.read()
            if not ok:
                raise DeviceBusyError(
                    f"The camera {index} opened but delivers no picture: it is probably in use "
                    "by another application. Close it or choose another camera."
                )
            fps = float(capture.get(cv2.CAP_PROP_FPS)) or self.requested.fps
        except BaseException:
            capture.release()
            raise
        first = captured_frame(bgr)
        granted = CaptureFormat(width=first.width, height=first.height, fps=fps)
        reader = _OpenCvReader(
            capture, first, is_file=False, loop_file=False, what=self._describe(), stop=stop
        )
        return OpenedSource(reader=reader, granted=granted, paced=False)

    def _open_file(self, source: str, stop: threading.Event) -> OpenedSource:
        is_url = "://" in source
        if not is_url:
            path = Path(source)
            if not path.is_file():
                raise DeviceNotFoundError(f"Video file not found: {source!r}. Check the path.")
            if not os.access(path, os.R_OK):
                raise DeviceBusyError(
                    f"The video file {source!r} is not readable: check its permissions."
                )
        capture = cv2.VideoCapture(source, cv2.CAP_FFMPEG)
        try:
            ok, bgr = capture.read() if capture.isOpened() else (False, None)
            if not ok:
                where = "the stream is unreachable or " if is_url else ""
                raise DeviceError(
                    f"Cannot play {source!r}: {where}it is not a video OpenCV/FFmpeg can decode. "
                    "Choose another file."
                )
            self.source_fps = float(capture.get(cv2.CAP_PROP_FPS)) or None
        except BaseException:
            capture.release()
            raise
        first = captured_frame(bgr)
        granted = CaptureFormat(width=first.width, height=first.height, fps=self.requested.fps)
        reader = _OpenCvReader(
            capture,
            first,
            is_file=True,
            loop_file=self.loop_file,
            what=self._describe(),
            stop=stop,
        )
        return OpenedSource(reader=reader, granted=granted, paced=True)

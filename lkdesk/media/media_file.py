"""Media files as a source and as a sink, for the command line's bots and recorders.

:class:`MediaFilePlayer` plays a clip (its video and its audio) in real time, as a camera
and a microphone would, so ``lkdesk join --publish-file clip.mp4`` publishes it. Decoding
runs in one thread per file, paced by the frames' timestamps, and hands frames to the loop
through bounded hand-offs.

:class:`TrackRecorder` writes one remote track to a file with PyAV: video as H.264 in
Matroska, audio as Opus in Ogg. Encoding runs in its own thread fed by a bounded queue, so
the loop never waits for the encoder; a frame that does not fit is counted as dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from lkdesk.core.frames import AudioFrame, VideoFormat, VideoFrame, VideoFrameEvent
from lkdesk.media._handoff import HandoffClosed, ThreadHandoff
from lkdesk.media.errors import DeviceFailedError, DeviceNotFoundError

logger = logging.getLogger(__name__)

RATE = 48_000


@dataclass(frozen=True, slots=True)
class MediaFileInfo:
    """What a clip contains."""

    width: int
    height: int
    has_video: bool
    has_audio: bool


def probe_file(path: Path) -> MediaFileInfo:
    """Open ``path`` and say what it contains (blocking: call in a thread)."""
    if not path.is_file():
        raise DeviceNotFoundError(f"{path} does not exist or is not a file.")
    try:
        with av.open(str(path)) as container:
            video = container.streams.video[0] if container.streams.video else None
            audio = bool(container.streams.audio)
            if video is None and not audio:
                raise DeviceFailedError(f"{path.name} has neither video nor audio.")
            width = video.codec_context.width if video else 0
            height = video.codec_context.height if video else 0
            return MediaFileInfo(width, height, video is not None, audio)
    except av.FFmpegError as exc:
        raise DeviceFailedError(
            f"{path.name} is not a media file lkdesk can read ({exc})."
        ) from exc


class MediaFilePlayer:
    """A clip played in real time, looping: ``video()`` and ``audio()`` iterate its frames."""

    def __init__(self, path: Path, *, loop: bool = True) -> None:
        self.path = path
        self._loop_file = loop
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._video: ThreadHandoff[VideoFrameEvent] | None = None
        self._audio: ThreadHandoff[AudioFrame] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._video = ThreadHandoff(loop, 2)
        self._audio = ThreadHandoff(loop, 100)
        self._thread = threading.Thread(target=self._run, name="lkdesk-file-player", daemon=True)
        self._thread.start()

    async def video(self) -> Any:
        """Decoded RGB frames (:class:`VideoFrameEvent`), newest wins."""
        assert self._video is not None
        with contextlib.suppress(HandoffClosed):
            while True:
                yield await self._video.get()

    async def audio(self) -> Any:
        """48 kHz mono PCM (:class:`AudioFrame`)."""
        assert self._audio is not None
        with contextlib.suppress(HandoffClosed):
            while True:
                yield await self._audio.get()

    def _run(self) -> None:
        video, audio = self._video, self._audio
        assert video is not None and audio is not None
        error: BaseException | None = None
        try:
            while not self._stop.is_set():
                self._play_once(video, audio)
                if not self._loop_file:
                    break
        except av.FFmpegError as exc:
            error = DeviceFailedError(f"{self.path.name} could not be played ({exc}).")
        loop = self._loop
        assert loop is not None
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(video.close, error)
            loop.call_soon_threadsafe(audio.close, error)

    def _play_once(self, video: ThreadHandoff[VideoFrameEvent], audio: Any) -> None:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        with av.open(str(self.path)) as container:
            streams = [*container.streams.video[:1], *container.streams.audio[:1]]
            started = time.monotonic()
            frame: Any
            for frame in container.decode(*streams):
                if self._stop.is_set():
                    return
                at = float(frame.time or 0.0)
                delay = started + at - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
                if isinstance(frame, av.VideoFrame):
                    rgb: Any = frame.to_ndarray(format="rgb24")
                    picture = VideoFrame(frame.width, frame.height, VideoFormat.RGB24, rgb)
                    video.put(VideoFrameEvent(picture, int(at * 1_000_000)))
                else:
                    for out in resampler.resample(frame):
                        pcm = out.to_ndarray().reshape(-1, 1).astype(np.int16, copy=False)
                        audio.put(AudioFrame(np.ascontiguousarray(pcm), RATE, 1))

    async def aclose(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.join, 5.0)
        for handoff in (self._video, self._audio):
            if handoff is not None:
                handoff.close()


class TrackRecorder:
    """Writes one track's frames to ``path`` ("video": .mkv H.264, "audio": .ogg Opus)."""

    QUEUE = 300

    def __init__(self, path: Path, kind: str) -> None:
        if kind not in ("video", "audio"):
            raise ValueError("kind must be 'video' or 'audio'")
        self.path = path
        self.kind = kind
        self.frames = 0
        self.dropped = 0
        self.error = ""
        self._queue: queue.Queue[Any] = queue.Queue(self.QUEUE)
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="lkdesk-recorder", daemon=True)
        self._thread.start()

    def push(self, frame: VideoFrame | AudioFrame) -> None:
        """Queue a frame (from the loop; never blocks)."""
        try:
            self._queue.put_nowait((time.monotonic() - self._started, frame))
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        try:
            with av.open(str(self.path), mode="w") as container:
                if self.kind == "video":
                    self._write_video(container)
                else:
                    self._write_audio(container)
        except (av.FFmpegError, OSError, ValueError) as exc:
            self.error = str(exc)
            logger.warning("recording %s failed: %s", self.path.name, exc)
            while self._queue.get() is not None:  # keep draining until closed
                pass

    def _write_video(self, container: Any) -> None:
        stream: Any = None
        while (item := self._queue.get()) is not None:
            at, frame = item
            if stream is None:
                stream = container.add_stream("libx264", rate=30)
                stream.width, stream.height = frame.width & ~1, frame.height & ~1
                stream.pix_fmt = "yuv420p"
                stream.time_base = Fraction(1, 1000)
                stream.codec_context.options = {"preset": "veryfast", "tune": "zerolatency"}
            data = frame.data[: stream.height, : stream.width]
            picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(data), format="rgb24")
            if picture.width != stream.width or picture.height != stream.height:
                picture = picture.reformat(stream.width, stream.height)
            picture.pts = int(at * 1000)
            picture.time_base = Fraction(1, 1000)
            container.mux(stream.encode(picture))
            self.frames += 1
        if stream is not None:
            container.mux(stream.encode(None))

    def _write_audio(self, container: Any) -> None:
        stream = container.add_stream("libopus", rate=RATE)
        stream.layout = "mono"
        written = 0
        while (item := self._queue.get()) is not None:
            _at, frame = item
            pcm = frame.data[:, :1].T.astype(np.int16, copy=False)
            chunk = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(pcm), format="s16", layout="mono"
            )
            chunk.sample_rate = frame.sample_rate
            chunk.pts = written
            written += pcm.shape[1]
            container.mux(stream.encode(chunk))
            self.frames += 1
        container.mux(stream.encode(None))

    async def aclose(self) -> None:
        """Finish the file: flush the encoder and close it (in the recorder's thread)."""
        await asyncio.to_thread(self._queue.put, None)
        await asyncio.to_thread(self._thread.join, 10.0)

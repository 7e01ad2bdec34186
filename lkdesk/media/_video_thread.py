"""The thread behind camera and screen capture: open, read, pace, hand frames to the loop.

A subclass provides :meth:`ThreadedVideoCapture._open_reader`, which runs in the capture
thread and returns a :class:`FrameReader`. The thread reports "opened" (or the open error)
and "exited" to the loop with ``call_soon_threadsafe``; frames go through a one-slot
:class:`ThreadHandoff`, so the latest frame wins and nothing queues up.

Events (``capture.on(name, handler)``): ``"state_changed"`` (MediaState), ``"error"``
(DeviceError: the source failed while running).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from lkdesk.core.frames import VideoFormat, VideoFrame, VideoFrameEvent
from lkdesk.media._handoff import HandoffClosed, ThreadHandoff
from lkdesk.media.errors import DeviceError, DeviceFailedError
from lkdesk.media.states import MediaState, StatefulDevice

logger = logging.getLogger(__name__)

VideoCaptureEvent = Literal["state_changed", "error"]
RGBArray = npt.NDArray[np.uint8]

OPEN_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class CaptureFormat:
    """A frame size and rate (asked for, or actually delivered)."""

    width: int
    height: int
    fps: float


class FrameReader(Protocol):
    """Runs in the capture thread only."""

    def read(self) -> RGBArray | VideoFrame | None:
        """The next (height, width, 3) RGB frame, or a whole :class:`VideoFrame` (a camera's,
        which may carry its I420 too); None at the end of a file."""

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class OpenedSource:
    reader: FrameReader
    granted: CaptureFormat
    paced: bool
    """True: the thread paces reads at the requested fps (files, screens)."""


class _Ended:
    """Marker: the source reached its end."""


class ThreadedVideoCapture(StatefulDevice[VideoCaptureEvent]):
    """Base of CameraCapture and ScreenCapture: async iterator of VideoFrameEvent."""

    def __init__(self, requested: CaptureFormat, *, thread_name: str) -> None:
        super().__init__()
        if requested.fps <= 0:
            raise ValueError("fps must be > 0")
        self.requested = requested
        self.granted: CaptureFormat | None = None
        self._thread_name = thread_name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._handoff: ThreadHandoff[VideoFrameEvent] | None = None
        self._exited: asyncio.Future[None] | None = None
        self.frames_captured = 0

    # --- for subclasses -----------------------------------------------------------------

    def _open_reader(self, stop: threading.Event) -> OpenedSource:
        """Open the source (capture thread); raise DeviceError with a clear message."""
        raise NotImplementedError

    def _describe(self) -> str:
        """'The camera 0', 'The video file x.mp4' … for messages."""
        raise NotImplementedError

    # --- state ----------------------------------------------------------------------------

    @property
    def dropped_frames(self) -> int:
        """Frames replaced by a newer one before the consumer took them."""
        return self._handoff.dropped if self._handoff is not None else 0

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the capture thread and wait until the source is open (or DeviceError)."""
        self._begin_start()
        loop = asyncio.get_running_loop()
        self._handoff = ThreadHandoff(loop, maxlen=1)
        opened: asyncio.Future[CaptureFormat] = loop.create_future()
        opened.add_done_callback(_retrieve)  # a late open error after a timeout is not "lost"
        self._exited = loop.create_future()
        self._thread = threading.Thread(
            target=self._run,
            args=(loop, opened, self._exited),
            name=self._thread_name,
            daemon=True,
        )
        self._thread.start()
        try:
            async with asyncio.timeout(OPEN_TIMEOUT_S):
                self.granted = await asyncio.shield(opened)
        except TimeoutError as exc:
            self._stop.set()
            error = DeviceError(
                f"{self._describe()} did not open within {OPEN_TIMEOUT_S:.0f} s. Check that it "
                "is connected and not stuck, or choose another source."
            )
            self._fail_start(error)
            raise error from exc
        except DeviceError as exc:
            self._fail_start(exc)
            await self._join()
            raise
        except BaseException:
            self._stop.set()
            raise
        if self.state == MediaState.STARTING:
            self._set_state(MediaState.RUNNING)
        logger.info(
            "%s open: requested %s, granted %s", self._describe(), self.requested, self.granted
        )

    def _fail_start(self, error: DeviceError) -> None:
        self._error = error
        if self._handoff is not None:
            self._handoff.close(error)
        self._set_state(MediaState.FAILED)

    async def aclose(self) -> None:
        """Stop the thread and wait for it (the device is released). Idempotent."""
        if self._state == MediaState.CLOSED:
            return
        self._set_state(MediaState.CLOSED)
        self._stop.set()
        await self._join()
        if self._handoff is not None:
            self._handoff.close()

    async def _join(self) -> None:
        exited, thread = self._exited, self._thread
        if exited is None or thread is None:
            return
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await asyncio.shield(exited)
        except TimeoutError:
            logger.warning(
                "%s: capture thread did not stop within %.0f s (device stuck?)",
                self._describe(),
                STOP_TIMEOUT_S,
            )
            return
        thread.join(timeout=1.0)  # it has just posted "exited": this returns at once

    async def __aenter__(self) -> ThreadedVideoCapture:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- frames ---------------------------------------------------------------------------

    def __aiter__(self) -> ThreadedVideoCapture:
        return self

    async def __anext__(self) -> VideoFrameEvent:
        """The newest frame (older unread ones are dropped); ends at aclose() or file end."""
        if self._handoff is None:
            raise StopAsyncIteration
        try:
            return await self._handoff.get()
        except HandoffClosed:
            raise StopAsyncIteration from None

    def latest(self) -> VideoFrameEvent | None:
        """The newest frame not yet taken, without waiting."""
        return self._handoff.latest() if self._handoff is not None else None

    # --- the thread -------------------------------------------------------------------------

    def _run(
        self,
        loop: asyncio.AbstractEventLoop,
        opened: asyncio.Future[CaptureFormat],
        exited: asyncio.Future[None],
    ) -> None:
        outcome: DeviceError | _Ended | None = None
        try:
            source = self._open_source(loop, opened)
            if source is not None:
                try:
                    outcome = self._read_loop(source)
                except DeviceError as exc:
                    outcome = exc
                except Exception as exc:
                    logger.exception("%s: capture failed", self._describe())
                    outcome = DeviceFailedError(f"{self._describe()} stopped working: {exc}")
                finally:
                    source.reader.close()
        finally:
            _post(loop, self._on_thread_end, exited, outcome)

    def _open_source(
        self, loop: asyncio.AbstractEventLoop, opened: asyncio.Future[CaptureFormat]
    ) -> OpenedSource | None:
        try:
            source = self._open_reader(self._stop)
        except DeviceError as exc:
            _post(loop, _settle, opened, None, exc)
            return None
        except Exception as exc:
            logger.exception("%s: open failed", self._describe())
            _post(
                loop,
                _settle,
                opened,
                None,
                DeviceError(
                    f"{self._describe()} could not be opened ({exc}). Choose another source."
                ),
            )
            return None
        _post(loop, _settle, opened, source.granted, None)
        return source

    def _read_loop(self, source: OpenedSource) -> _Ended | None:
        handoff = self._handoff
        assert handoff is not None
        period = 1.0 / self.requested.fps
        due = time.monotonic()
        while not self._stop.is_set():
            if source.paced:
                delay = due - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
                due = max(due + period, time.monotonic() - period)  # no burst after a stall
            picture = source.reader.read()
            if picture is None:
                return _Ended()
            timestamp_us = time.monotonic_ns() // 1000
            frame = picture if isinstance(picture, VideoFrame) else _rgb_frame(picture)
            self.frames_captured += 1
            if not handoff.put(VideoFrameEvent(frame=frame, timestamp_us=timestamp_us)):
                break  # the loop is gone
        return None

    def _on_thread_end(
        self, exited: asyncio.Future[None], outcome: DeviceError | _Ended | None
    ) -> None:
        if not exited.done():
            exited.set_result(None)
        if self._state in (MediaState.CLOSED, MediaState.FAILED) or outcome is None:
            return
        if isinstance(outcome, _Ended):
            if self._handoff is not None:
                self._handoff.close()
            self._set_state(MediaState.ENDED)
            return
        if self._state == MediaState.STARTING:  # start() reports this one itself
            return
        self._error = outcome
        logger.warning("%s", outcome)
        if self._handoff is not None:
            self._handoff.close(outcome)
        self._set_state(MediaState.FAILED)
        self.emit("error", outcome)


def _rgb_frame(rgb: RGBArray) -> VideoFrame:
    height, width = rgb.shape[:2]
    return VideoFrame(width=width, height=height, format=VideoFormat.RGB24, data=rgb)


def _settle(
    future: asyncio.Future[CaptureFormat], value: CaptureFormat | None, exc: DeviceError | None
) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    elif value is not None:
        future.set_result(value)


def _retrieve(future: asyncio.Future[CaptureFormat]) -> None:
    if not future.cancelled():
        future.exception()


def _post(loop: asyncio.AbstractEventLoop, callback: Callable[..., Any], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
        loop.call_soon_threadsafe(callback, *args)

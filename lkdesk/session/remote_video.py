"""Remote video to the UI: one pump per subscribed video track, emitting decoded frames.

Each frame is converted once, in a worker thread, from the decoded I420 straight to a BGRA
picture at the size the UI shows it at (``Session.set_video_size``), so painting it is a
plain copy of pixels on the UI thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from lkdesk import rtc
from lkdesk.core.tasks import TaskSet
from lkdesk.session.model import TileKey, VideoKind


class RemoteVideo:
    """``video_frame(key, bgra)`` for each decoded frame, ``video_ended(key)`` when it ends.

    ``sizes`` maps a tile to the size it is shown at; it is read before each frame.
    """

    def __init__(
        self,
        tasks: TaskSet,
        emit: Callable[..., None],
        sizes: Mapping[TileKey, tuple[int, int]] | None = None,
    ) -> None:
        self._tasks = tasks
        self._emit = emit
        self._sizes: Mapping[TileKey, tuple[int, int]] = sizes if sizes is not None else {}
        self._pumps: dict[str, asyncio.Task[Any]] = {}

    def add(
        self, track: rtc.RemoteTrack, publication: rtc.RemoteTrackPublication, identity: str
    ) -> None:
        screen = publication.source == rtc.TrackSource.SOURCE_SCREENSHARE
        key = TileKey(identity, VideoKind.SCREEN if screen else VideoKind.CAMERA)
        self._pumps[track.sid] = self._tasks.spawn(self._pump(track, key), "video")

    def remove(self, sid: str) -> None:
        pump = self._pumps.pop(sid, None)
        if pump is not None:
            pump.cancel()

    def stop_all(self) -> None:
        for task in self._pumps.values():
            task.cancel()
        self._pumps.clear()

    async def _pump(self, track: rtc.RemoteTrack, key: TileKey) -> None:
        stream = rtc.VideoStream(track, format=rtc.VideoFormat.BGRA)
        cover = key.kind is VideoKind.CAMERA
        size = (0, 0)
        try:
            while True:
                wanted = self._sizes.get(key, (0, 0))
                if wanted != size:
                    size = wanted
                    stream.set_size(*size, cover=cover)
                try:
                    event = await anext(stream)
                except StopAsyncIteration:
                    break
                self._emit("video_frame", key, event.frame.data)
        finally:
            await stream.aclose()
            self._emit("video_ended", key)

"""Remote video to the UI: one pump per subscribed video track, emitting decoded frames."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from lkdesk import rtc
from lkdesk.core.tasks import TaskSet
from lkdesk.session.model import TileKey, VideoKind


class RemoteVideo:
    """``video_frame(key, rgb)`` for each decoded frame, ``video_ended(key)`` when it ends."""

    def __init__(self, tasks: TaskSet, emit: Callable[..., None]) -> None:
        self._tasks = tasks
        self._emit = emit
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
        stream = rtc.VideoStream(track)
        try:
            async for event in stream:
                self._emit("video_frame", key, event.frame.data)
        finally:
            await stream.aclose()
            self._emit("video_ended", key)

"""Remote video to the UI: one pump per subscribed video track, emitting decoded frames.

Each video is received at the size the UI shows it (:meth:`RemoteVideo.set_views`): the
server picks the simulcast layer that fits (``UpdateTrackSettings`` width and height, as
livekit-client's adaptive stream does) and stops forwarding a video no tile shows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from lkdesk import rtc
from lkdesk.core.tasks import TaskSet
from lkdesk.session.model import TileKey, TileView, VideoKind

logger = logging.getLogger(__name__)

#: A size change smaller than this share is not sent (a window being dragged wider would
#: otherwise send one request per pixel; the layers differ by a factor of two).
RESIZE_STEP = 0.15


class RemoteVideo:
    """``video_frame(key, rgb)`` for each decoded frame, ``video_ended(key)`` when it ends."""

    def __init__(self, tasks: TaskSet, emit: Callable[..., None]) -> None:
        self._tasks = tasks
        self._emit = emit
        self._pumps: dict[str, asyncio.Task[Any]] = {}
        self._publications: dict[TileKey, rtc.RemoteTrackPublication] = {}
        self._views: dict[TileKey, TileView] = {}

    def add(
        self, track: rtc.RemoteTrack, publication: rtc.RemoteTrackPublication, identity: str
    ) -> None:
        screen = publication.source == rtc.TrackSource.SOURCE_SCREENSHARE
        key = TileKey(identity, VideoKind.SCREEN if screen else VideoKind.CAMERA)
        self._pumps[track.sid] = self._tasks.spawn(self._pump(track, key), "video")
        self._publications[key] = publication
        self._apply(key)

    def remove(self, sid: str) -> None:
        pump = self._pumps.pop(sid, None)
        if pump is not None:
            pump.cancel()
        for key, publication in list(self._publications.items()):
            if publication.sid == sid:
                del self._publications[key]

    def stop_all(self) -> None:
        for task in self._pumps.values():
            task.cancel()
        self._pumps.clear()
        self._publications.clear()

    # ----- what the UI shows ---------------------------------------------------------------

    def set_views(self, views: Mapping[TileKey, TileView]) -> None:
        """Every tile's view; a video whose tile is not listed keeps its last settings."""
        self._views = dict(views)
        for key in list(self._publications):
            self._apply(key)

    def _apply(self, key: TileKey) -> None:
        view = self._views.get(key)
        publication = self._publications.get(key)
        if view is None or publication is None:
            return  # no view yet (full size), or the video went away: nothing to send
        if not view.visible:
            publication.set_enabled(False)
            return
        if view.width > 0 and view.height > 0 and _resized(publication, view):
            logger.debug("video %s shown at %dx%d", publication.sid, view.width, view.height)
            publication.set_video_dimensions(view.width, view.height)
        publication.set_enabled(True)

    async def _pump(self, track: rtc.RemoteTrack, key: TileKey) -> None:
        stream = rtc.VideoStream(track)
        try:
            async for event in stream:
                self._emit("video_frame", key, event.frame.data)
        finally:
            await stream.aclose()
            self._emit("video_ended", key)


def _resized(publication: rtc.RemoteTrackPublication, view: TileView) -> bool:
    if publication.video_dimensions is None:
        return True
    width, height = publication.video_dimensions
    return abs(view.width - width) > RESIZE_STEP * max(width, 1) or abs(
        view.height - height
    ) > RESIZE_STEP * max(height, 1)

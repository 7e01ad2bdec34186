"""Remote tracks: a handle on decoded media that streams subscribe to."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from lkdesk.rtc.types import TrackKind, TrackSource

logger = logging.getLogger(__name__)


class FrameSink(Protocol):
    """Receives raw decoded frames; must be cheap and never block."""

    def push(self, frame: Any) -> None: ...

    def close(self) -> None: ...


class RemoteTrack:
    """A subscribed remote track. Read it with ``VideoStream``/``AudioStream``."""

    def __init__(self, sid: str, name: str, kind: TrackKind, source: TrackSource) -> None:
        self.sid = sid
        self.name = name
        self.kind = kind
        self.source = source
        self.muted = False
        self._sinks: list[FrameSink] = []
        self.frames_received = 0
        self.total_conversion_time = 0.0  # seconds its video streams spent converting pixels

    def __repr__(self) -> str:
        return f"RemoteTrack(sid={self.sid!r}, kind={self.kind.name}, name={self.name!r})"

    def add_sink(self, sink: FrameSink) -> None:
        self._sinks.append(sink)

    def remove_sink(self, sink: FrameSink) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)

    def deliver(self, frame: Any) -> None:
        self.frames_received += 1
        for sink in self._sinks:
            sink.push(frame)

    def end(self) -> None:
        """The subscription ended: streams finish after their buffered frames."""
        sinks, self._sinks = self._sinks, []
        for sink in sinks:
            sink.close()


class RemoteVideoTrack(RemoteTrack):
    """A remote camera or screen-share track."""


class RemoteAudioTrack(RemoteTrack):
    """A remote microphone or screen-share-audio track."""

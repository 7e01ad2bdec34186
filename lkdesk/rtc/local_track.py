"""Local tracks and their publications (official SDK names)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from livekit.protocol import models as proto_models

from lkdesk.rtc.engine.media_tracks import SourceAudioTrack, SourceVideoTrack
from lkdesk.rtc.publication import TrackPublication
from lkdesk.rtc.sources import AudioSource, VideoSource
from lkdesk.rtc.types import TrackKind, TrackSource


@dataclass(frozen=True, slots=True)
class VideoEncoding:
    """Upper limits for a published video track (VP8 cannot go below 250 kbps)."""

    max_bitrate: int = 1_500_000
    max_framerate: float = 30.0


@dataclass(frozen=True, slots=True)
class TrackPublishOptions:
    """How to publish: the source kind, and for video the codec and limits."""

    source: TrackSource = TrackSource.SOURCE_UNKNOWN
    video_codec: str = "vp8"
    video_encoding: VideoEncoding | None = None


class LocalTrack:
    """A track lkdesk sends. ``mute()`` stops its media and tells the room."""

    kind: TrackKind

    def __init__(self, name: str, rtc_track: SourceAudioTrack | SourceVideoTrack) -> None:
        self.name = name
        self.sid = ""
        self.sender_track = rtc_track  # what the engine sends; replaced by renew()
        #: Set by the publisher while published: told about every mute change.
        self.on_mute: Callable[[LocalTrack, bool], None] | None = None

    @property
    def muted(self) -> bool:
        return self.sender_track.muted

    def mute(self) -> None:
        self.set_muted(True)

    def unmute(self) -> None:
        self.set_muted(False)

    def set_muted(self, muted: bool) -> None:
        if muted == self.sender_track.muted:
            return
        self.sender_track.set_muted(muted)
        if self.on_mute is not None:
            self.on_mute(self, muted)

    def renew(self) -> None:
        """A fresh sender track from the same source (after a rejoin); keeps mute."""
        muted = self.muted
        self.sender_track.stop()
        self.sender_track = self._new_rtc_track()
        self.sender_track.set_muted(muted)
        self.sid = ""

    def _new_rtc_track(self) -> SourceAudioTrack | SourceVideoTrack:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, sid={self.sid!r}, muted={self.muted})"


class LocalVideoTrack(LocalTrack):
    """A local camera or screen track fed by a :class:`VideoSource`."""

    kind = TrackKind.KIND_VIDEO

    def __init__(self, name: str, source: VideoSource) -> None:
        super().__init__(name, SourceVideoTrack(source))
        self.source = source

    def _new_rtc_track(self) -> SourceVideoTrack:
        return SourceVideoTrack(self.source)

    @classmethod
    def create_video_track(cls, name: str, source: VideoSource) -> LocalVideoTrack:
        return cls(name, source)


class LocalAudioTrack(LocalTrack):
    """A local microphone track fed by an :class:`AudioSource`."""

    kind = TrackKind.KIND_AUDIO

    def __init__(self, name: str, source: AudioSource) -> None:
        super().__init__(name, SourceAudioTrack(source))
        self.source = source

    def _new_rtc_track(self) -> SourceAudioTrack:
        return SourceAudioTrack(self.source)

    @classmethod
    def create_audio_track(cls, name: str, source: AudioSource) -> LocalAudioTrack:
        return cls(name, source)


class LocalTrackPublication(TrackPublication):
    """A published local track as the server knows it."""

    def __init__(self, info: proto_models.TrackInfo, track: LocalTrack) -> None:
        super().__init__(info)
        self.track: LocalTrack | None = track

    @property
    def muted(self) -> bool:
        return self.track.muted if self.track is not None else self._info.muted

    def __repr__(self) -> str:
        return f"LocalTrackPublication(sid={self.sid!r}, name={self.name!r}, muted={self.muted})"

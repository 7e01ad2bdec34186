"""Track publications: what a participant publishes, whether we subscribe to it."""

from __future__ import annotations

from typing import Protocol

from livekit.protocol import models as proto_models

from lkdesk.rtc.engine import adapt
from lkdesk.rtc.track import RemoteAudioTrack, RemoteTrack, RemoteVideoTrack
from lkdesk.rtc.types import TrackKind, TrackSource

#: Codec names aiortc 1.16 decodes itself; with :func:`decodable_codecs` (which adds the
#: engine's VP9 and AV1) a track offering any of them can be subscribed.
DECODABLE_CODECS = {
    "audio/red",  # the server unwraps RED to plain Opus for subscribers without it
    "audio/opus",
    "audio/pcmu",
    "audio/pcma",
    "audio/g722",
    "video/vp8",
    "video/h264",
}


def decodable_codecs() -> frozenset[str]:
    """Lower-case mime types lkdesk can receive: aiortc's and the engine's (VP9, AV1)."""
    return frozenset(DECODABLE_CODECS) | adapt.receivable_mime_types()


class SubscriptionControl(Protocol):
    """What a publication needs from its room to change a subscription."""

    def is_wanted(self, publication: RemoteTrackPublication) -> bool: ...

    def request_subscription(
        self, publication: RemoteTrackPublication, subscribe: bool
    ) -> None: ...

    def request_track_settings(self, publication: RemoteTrackPublication) -> None: ...


class TrackPublication:
    """Common fields of local and remote publications (names as in the official SDK)."""

    def __init__(self, info: proto_models.TrackInfo) -> None:
        self.sid = info.sid
        self._info = info

    @property
    def info(self) -> proto_models.TrackInfo:
        """The server's latest TrackInfo for this publication."""
        return self._info

    @property
    def name(self) -> str:
        return self._info.name

    @property
    def kind(self) -> TrackKind:
        return TrackKind.from_proto(self._info.type)

    @property
    def source(self) -> TrackSource:
        try:
            return TrackSource(self._info.source)
        except ValueError:
            return TrackSource.SOURCE_UNKNOWN

    @property
    def muted(self) -> bool:
        return self._info.muted

    @property
    def mime_type(self) -> str:
        return self._info.mime_type

    @property
    def width(self) -> int:
        return self._info.width

    @property
    def height(self) -> int:
        return self._info.height

    @property
    def simulcasted(self) -> bool:
        return self._info.simulcast or any(len(c.layers) > 1 for c in self._info.codecs)

    @property
    def codecs(self) -> list[str]:
        """Every codec the publisher offers (primary first, then backups), lower-case mime."""
        names = [c.mime_type.lower() for c in self._info.codecs if c.mime_type]
        if self._info.mime_type and self._info.mime_type.lower() not in names:
            names.insert(0, self._info.mime_type.lower())
        return names

    def update_info(self, info: proto_models.TrackInfo) -> None:
        self._info = info


class RemoteTrackPublication(TrackPublication):
    """A remote participant's track; subscribe to receive its media."""

    def __init__(self, info: proto_models.TrackInfo, control: SubscriptionControl) -> None:
        super().__init__(info)
        self._control = control
        self.track: RemoteTrack | None = None
        self.enabled = True
        self.video_dimensions: tuple[int, int] | None = None
        #: False while the publisher does not let us subscribe (the server said so).
        self.subscription_allowed = True

    def __repr__(self) -> str:
        return (
            f"RemoteTrackPublication(sid={self.sid!r}, kind={self.kind.name}, "
            f"source={self.source.name}, muted={self.muted})"
        )

    @property
    def subscribed(self) -> bool:
        """True while media for this track is being received."""
        return self.track is not None

    @property
    def wanted(self) -> bool:
        """True when we asked the server for this track."""
        return self._control.is_wanted(self)

    @property
    def decodable(self) -> bool:
        """True when at least one offered codec can be decoded by lkdesk."""
        codecs = self.codecs
        decodable = decodable_codecs()
        return not codecs or any(c in decodable for c in codecs)

    def set_subscribed(self, subscribed: bool) -> None:
        """Ask the server to start or stop sending this track."""
        if subscribed != self.wanted:
            self._control.request_subscription(self, subscribed)

    def set_enabled(self, enabled: bool) -> None:
        """Pause (False) or resume forwarding of a subscribed track without unsubscribing."""
        if enabled != self.enabled:
            self.enabled = enabled
            self._control.request_track_settings(self)

    def set_video_dimensions(self, width: int, height: int) -> None:
        """Tell the server the size we render at, so it can pick a smaller layer."""
        self.video_dimensions = (width, height)
        self._control.request_track_settings(self)

    def make_track(self) -> RemoteTrack:
        cls = RemoteVideoTrack if self.kind == TrackKind.KIND_VIDEO else RemoteAudioTrack
        track = cls(self.sid, self.name, self.kind, self.source)
        track.muted = self.muted
        return track

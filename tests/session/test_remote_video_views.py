"""Each remote video follows its tile: the size it is shown at, or paused when hidden.

What the session asks of the room is recorded at the publication's subscription control
(the same calls ``lkdesk.rtc`` turns into ``UpdateTrackSettings``).
"""

from __future__ import annotations

from livekit.protocol import models as proto_models

from lkdesk import rtc
from lkdesk.core.tasks import TaskSet
from lkdesk.rtc.subscriptions import Subscriptions
from lkdesk.session.model import TileKey, TileView
from lkdesk.session.remote_video import RemoteVideo

ANN = TileKey("ann")


class RecordingControl:
    def __init__(self) -> None:
        self.sent: list[tuple[bool, tuple[int, int] | None]] = []

    def is_wanted(self, publication: rtc.RemoteTrackPublication) -> bool:
        return True

    def request_subscription(
        self, publication: rtc.RemoteTrackPublication, subscribe: bool
    ) -> None:
        pass

    def request_track_settings(self, publication: rtc.RemoteTrackPublication) -> None:
        self.sent.append((publication.enabled, publication.video_dimensions))


def camera(control: object, sid: str = "TR_ann") -> rtc.RemoteTrackPublication:
    info = proto_models.TrackInfo(
        sid=sid, name="camera", type=proto_models.TrackType.VIDEO,
        source=proto_models.TrackSource.CAMERA, width=1280, height=720, simulcast=True,
    )  # fmt: skip
    return rtc.RemoteTrackPublication(info, control)  # type: ignore[arg-type]


async def test_a_video_asks_for_its_tile_size_and_pauses_while_hidden() -> None:
    control = RecordingControl()
    tasks = TaskSet("test")
    video = RemoteVideo(tasks, lambda *_args: None)
    publication = camera(control)
    try:
        video.set_views({ANN: TileView(640, 360)})  # before the track arrives: kept for it
        video.add(publication.make_track(), publication, "ann")
        assert control.sent == [(True, (640, 360))]
        video.set_views({ANN: TileView(660, 370)})  # a window dragged a little: nothing sent
        assert len(control.sent) == 1
        video.set_views({ANN: TileView(320, 180)})
        assert control.sent[-1] == (True, (320, 180))
        video.set_views({ANN: TileView(visible=False)})  # paged out, minimised
        assert control.sent[-1] == (False, (320, 180))
        video.set_views({ANN: TileView(320, 180)})
        assert control.sent[-1] == (True, (320, 180))
        count = len(control.sent)
        video.set_views({})  # a tile no longer listed keeps what it had
        assert len(control.sent) == count
        video.remove(publication.sid)  # the track went away: later views are dropped
        video.set_views({ANN: TileView(1280, 720)})
        assert len(control.sent) == count
    finally:
        video.stop_all()
        await tasks.aclose()


class RecordingEngine:
    def __init__(self) -> None:
        self.settings: list[tuple[str, bool, int, int]] = []

    def update_subscription(self, track_sid: str, participant_sid: str, subscribe: bool) -> None:
        pass

    def update_track_settings(
        self, track_sid: str, *, enabled: bool, width: int = 0, height: int = 0
    ) -> None:
        self.settings.append((track_sid, enabled, width, height))


def test_settings_for_a_track_no_longer_subscribed_are_dropped_quietly() -> None:
    engine = RecordingEngine()
    subscriptions = Subscriptions(engine, emit=lambda *_a: None, owner_of=lambda _sid: None)  # type: ignore[arg-type]
    publication = camera(subscriptions)
    publication.set_subscribed(True)
    publication.set_video_dimensions(320, 180)
    assert engine.settings == [("TR_ann", True, 320, 180)]
    subscriptions.unpublished(publication.sid)  # the publisher left
    publication.set_video_dimensions(640, 360)
    publication.set_enabled(False)
    assert engine.settings == [("TR_ann", True, 320, 180)]

"""Which publications lkdesk subscribes to: any codec it can decode, VP9 and AV1 included."""

from __future__ import annotations

import pytest
from livekit.protocol import models as proto_models

from lkdesk.rtc.publication import RemoteTrackPublication, decodable_codecs


class NoControl:
    def is_wanted(self, publication: RemoteTrackPublication) -> bool:
        return False

    def request_subscription(self, publication: RemoteTrackPublication, subscribe: bool) -> None:
        raise AssertionError("not expected")

    def request_track_settings(self, publication: RemoteTrackPublication) -> None:
        raise AssertionError("not expected")


def _camera(*mime_types: str) -> RemoteTrackPublication:
    info = proto_models.TrackInfo(
        sid="TR_cam",
        type=proto_models.VIDEO,
        mime_type=mime_types[0],
        codecs=[proto_models.SimulcastCodecInfo(mime_type=m) for m in mime_types],
    )
    return RemoteTrackPublication(info, NoControl())


@pytest.mark.parametrize(
    ("mime_types", "decodable"),
    [
        (("video/VP9",), True),  # LiveKit Meet's camera without its VP8 backup
        (("video/AV1",), True),
        (("video/VP9", "video/VP8"), True),
        (("video/H264",), True),
        (("video/H265",), False),
        (("video/H265", "video/VP8"), True),  # subscribed through the backup
    ],
)
def test_a_publication_is_decodable_when_one_codec_is(
    mime_types: tuple[str, ...], decodable: bool
) -> None:
    assert _camera(*mime_types).decodable is decodable


def test_the_engines_receive_only_codecs_are_added_to_aiortcs() -> None:
    assert {"video/vp8", "video/h264", "video/vp9", "video/av1", "audio/opus"} <= decodable_codecs()

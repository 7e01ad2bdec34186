"""lkdesk decodes what the official SDK publishes in H.264, VP9 and AV1 (no backup codec).

The SDK (libwebrtc underneath, like browsers) publishes one codec without simulcast; the
server can only forward that codec, so lkdesk's receiver must take it as it comes. Each
case checks the colour, the SDK's frame counter (frames arrive in order) and the codec of
the packets lkdesk received.
"""

from __future__ import annotations

import pytest
from livekit.rtc import VideoCodec

from lkdesk import rtc
from tests.integration.analysis import content_region, decode_counter, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, camera_peer_and_lkdesk, sample_video

pytestmark = pytest.mark.integration

COLOR = (220, 40, 40)


def receiving_codec(lk: LkdeskPeer, track_sid: str) -> tuple[str, dict[str, object]]:
    """The codec of the RTP packets lkdesk receives for ``track_sid`` (e.g. "H264") and its
    negotiated parameters (the offer's fmtp line)."""
    subscriber = lk.room._engine.subscriber
    assert subscriber is not None
    mid = next(m for m, sid in subscriber.bindings.items() if sid == track_sid)
    transceiver = next(t for t in subscriber._pc.getTransceivers() if t.mid == mid)
    name = next(r.codec for r in subscriber.recoveries if r._receiver is transceiver.receiver)
    parameters = next(c.parameters for c in transceiver._codecs if c.name == name)
    return name, dict(parameters)


@pytest.mark.parametrize("codec", ["H264", "VP9", "AV1"])
async def test_official_sdk_camera_in_each_codec_is_decoded(
    livekit_server: LiveKitServer, room_name: str, codec: str
) -> None:
    async with camera_peer_and_lkdesk(
        livekit_server, room_name, color=COLOR, codec=VideoCodec.Value(codec)
    ) as (_, lk, track):
        frames = await sample_video(track, frames=15, deadline_s=30)
        for frame in frames[-5:]:
            h, w = frame.shape[:2]
            colour = mean_color(frame, content_region(w, h))
            assert max(abs(a - e) for a, e in zip(colour, COLOR, strict=True)) < 30, colour
        counters = [decode_counter(f) for f in frames]
        assert counters == sorted(counters) and counters[-1] > counters[0], counters
        publication = next(
            p
            for p in lk.room.remote_participants["cam"].track_publications.values()
            if p.kind == rtc.TrackKind.KIND_VIDEO
        )
        assert publication.codecs == [f"video/{codec.lower()}"], publication.codecs
        received, parameters = receiving_codec(lk, publication.sid)
        assert received == codec
        size = f"{frames[-1].shape[1]}x{frames[-1].shape[0]}"
        print(f"\n{codec}: {len(frames)} frames, {size}, answered with {parameters}")

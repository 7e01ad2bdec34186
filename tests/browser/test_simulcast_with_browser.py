"""livekit-client with adaptive stream receives lkdesk's camera simulcast (issue 13, item 2).

lkdesk publishes a 1280x720 moving picture as three layers. The browser (adaptive stream
and dynacast on, as LiveKit Meet) shows it in a 320x180 video element, so livekit-client
asks for that size and the server forwards the low layer: Chromium must decode 320x180
frames of the right colour. When the element grows to 1280x720, the high layer must arrive
and decode (Chromium's own inbound-rtp figures), still the right colour.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lkdesk import rtc
from tests.browser.browser_peer import remote_tracks, track_owner
from tests.browser.conftest import BrowserPeerFactory
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_media import produce_textured_video, running
from tests.integration.lkdesk_peer import LkdeskPeer

pytestmark = pytest.mark.integration

TEAL = (40, 150, 140)
GROW = "document.querySelectorAll('#remote video').forEach(v => { v.style.width = '1280px'; v.style.height = '720px'; })"  # noqa: E501


def _lkdesk_video(state: dict[str, Any]) -> dict[str, Any] | None:
    return next(
        (t for t in remote_tracks(state, "video") if track_owner(state, t["sid"]) == "lkdesk"),
        None,
    )


def _decoding(height: int) -> Callable[[dict[str, Any]], bool]:
    """The browser decodes lkdesk's video at ``height`` lines, in about the right colour."""

    def check(state: dict[str, Any]) -> bool:
        video = _lkdesk_video(state)
        if video is None:
            return False
        inbound = [s for s in video.get("inbound", []) if (s.get("framesDecoded") or 0) > 0]
        rgb = (video.get("color") or {}).get("rgb")
        return (
            any(s.get("frameHeight") == height for s in inbound)
            and (video.get("color") or {}).get("height") == height
            and isinstance(rgb, list)
            and max(abs(a - b) for a, b in zip(rgb, TEAL, strict=True)) < 40
        )

    return check


async def test_adaptive_stream_browser_gets_the_layer_its_element_needs(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    browser = await browser_peer_factory("meet")
    await browser.join(
        livekit_server.ws_url,
        livekit_server.token("meet", room_name),
        publish_video=False,
        publish_audio=False,
        adaptiveStream=True,
        dynacast=True,
    )
    lk = LkdeskPeer()
    try:
        await lk.connect(livekit_server.ws_url, livekit_server.token("lkdesk", room_name))
        source = rtc.VideoSource(1280, 720)
        local = lk.room.local_participant
        assert local is not None
        async with running(produce_textured_video(source, TEAL, 15)):
            await local.publish_track(
                rtc.LocalVideoTrack.create_video_track("camera", source),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA, simulcast=True),
            )
            small = await browser.wait_for(_decoding(180), 30, what="lkdesk's 180p layer")
            print("320x180 element:", _lkdesk_video(small))
            await browser.call("eval", expression=GROW)
            large = await browser.wait_for(_decoding(720), 30, what="lkdesk's 720p layer")
            print("1280x720 element:", _lkdesk_video(large))
            (track,) = lk.room.uplink_stats()["tracks"].values()
            print("lkdesk layers:", [(x["rid"], x["frames_encoded"]) for x in track["layers"]])
    finally:
        await lk.aclose()

"""lkdesk receives VP9 (single layer and SVC) and AV1 from livekit-client without a backup codec.

The browser publishes a solid-colour canvas with one codec and ``backupCodec: false``, so the
server can only forward that codec; lkdesk must depacketise and decode it itself
(lkdesk/rtc/engine/adapt/rtp_vp9.py, rtp_av1.py). Each case checks the colour of several
decoded frames and which codec lkdesk's receiver negotiated.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import numpy as np
import pytest

from lkdesk import rtc
from tests.browser.browser_peer import BrowserPeer
from tests.browser.conftest import BrowserPeerFactory
from tests.integration.analysis import mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer

pytestmark = pytest.mark.integration

_log = logging.getLogger(__name__)

BLUE = (0, 0, 255)
RED = (255, 0, 0)
GREEN = (0, 255, 0)
TOLERANCE = 40
FRAMES = 20
DEADLINE_S = 40.0


def _center(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    return frame[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]


def _close(colour: tuple[float, float, float], expected: tuple[int, int, int]) -> bool:
    return max(abs(c - e) for c, e in zip(colour, expected, strict=True)) < TOLERANCE


def _receiving(lk: LkdeskPeer, track_sid: str) -> tuple[str, str]:
    """(mid, codec of the RTP packets) with which lkdesk receives ``track_sid``."""
    subscriber = lk.room._engine.subscriber
    assert subscriber is not None
    mid = next(m for m, sid in subscriber.bindings.items() if sid == track_sid)
    receiver = next(t.receiver for t in subscriber._pc.getTransceivers() if t.mid == mid)
    recovery = next(r for r in subscriber.recoveries if r._receiver is receiver)
    return mid, recovery.codec


async def _frames_until(track: rtc.RemoteTrack, size: tuple[int, int] | None) -> list[np.ndarray]:
    """At least ``FRAMES`` decoded frames, and until one of ``size`` (width, height) came."""
    stream = rtc.VideoStream(track)
    frames: list[np.ndarray] = []
    try:
        async with asyncio.timeout(DEADLINE_S):
            async for event in stream:
                frames.append(event.frame.data)
                shape = (frames[-1].shape[1], frames[-1].shape[0])
                if len(frames) >= FRAMES and (size is None or shape == size):
                    break
    finally:
        await stream.aclose()
    return frames


async def check_colour(
    lk: LkdeskPeer,
    identity: str,
    expected: tuple[int, int, int],
    *,
    sid: str | None = None,
    size: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Decode ``identity``'s camera (track ``sid``); the last five frames must be ``expected``.

    With ``size``, frames are read until one has that size: for SVC, the server then
    forwards every spatial layer and lkdesk decodes the top one on top of the others.
    """
    participant = lk.room.remote_participants[identity]

    def camera() -> rtc.RemoteTrackPublication | None:
        for publication in participant.track_publications.values():
            wanted = sid is None or publication.sid == sid
            if publication.kind == rtc.TrackKind.KIND_VIDEO and wanted and publication.track:
                return publication
        return None

    await lk.wait_until(lambda: camera() is not None, deadline_s=DEADLINE_S)
    publication = camera()
    assert publication is not None and publication.track is not None
    frames = await _frames_until(publication.track, size)
    colours = [mean_color(_center(f)) for f in frames[-5:]]
    assert all(_close(c, expected) for c in colours), (colours, expected)
    mid, codec = _receiving(lk, publication.sid)
    report = {
        "mid": mid,
        "codec": codec,
        "frames": len(frames),
        "sizes": list(dict.fromkeys(f"{f.shape[1]}x{f.shape[0]}" for f in frames)),
        "colour": [round(c) for c in colours[-1]],
        "publication": publication.codecs,
    }
    _log.info("%s: %s", identity, report)
    print("\nlkdesk decoded", identity, report)
    return report


async def _join(
    factory: BrowserPeerFactory, server: LiveKitServer, room: str, name: str, **options: Any
) -> BrowserPeer:
    browser = await factory(name)
    await browser.join(
        server.ws_url,
        server.token(name, room),
        vp9_with_vp8_backup=False,
        simulcast=False,
        publish_audio=False,
        backupCodec=False,
        **options,
    )
    return browser


async def _sent_codec(browser: BrowserPeer) -> dict[str, Any]:
    """What the browser's encoder reports for the camera (mime type, scalability mode)."""
    state = await browser.wait_for(
        lambda s: (
            any(o.get("bytes") for o in s["local"][0].get("outbound", [])) if s["local"] else False
        ),
        timeout_s=DEADLINE_S,
        what="the camera to be sent",
    )
    outbound = [o for o in state["local"][0]["outbound"] if o.get("bytes")]
    return {
        "mimeType": outbound[0]["mimeType"],
        "scalabilityMode": outbound[0]["scalabilityMode"],
        "frame": [outbound[0]["frameWidth"], outbound[0]["frameHeight"]],
    }


@pytest.mark.parametrize(
    ("codec", "scalability_mode"),
    [
        ("vp9", "L1T3"),
        ("vp9", "L3T3_KEY"),
        ("vp9", "L3T3"),
        ("av1", "L1T3"),
        ("av1", "L3T3_KEY"),
        ("h264", None),
    ],
)
async def test_browser_camera_without_backup_codec_is_decoded(
    livekit_server: LiveKitServer,
    room_name: str,
    browser_peer_factory: BrowserPeerFactory,
    codec: str,
    scalability_mode: str | None,
) -> None:
    # libwebrtc drops spatial layers below 240x135: three layers need a 960x540 camera.
    three_layers = (scalability_mode or "").startswith("L3")
    size = (960, 540) if three_layers else (640, 360)
    browser = await _join(
        browser_peer_factory,
        livekit_server,
        room_name,
        "pub",
        videoCodec=codec,
        scalabilityMode=scalability_mode,
        color=list(BLUE),
        width=size[0],
        height=size[1],
    )
    lk = LkdeskPeer()
    try:
        await lk.connect(livekit_server.ws_url, livekit_server.token("lkdesk", room_name))
        # With three spatial layers, wait for the top one: every layer forwarded and decoded.
        report = await check_colour(lk, "pub", BLUE, size=size if three_layers else None)
        sent = await _sent_codec(browser)
        print("\nbrowser sends", sent)
        assert sent["mimeType"] == f"video/{codec.upper()}", sent
        if scalability_mode is not None:
            assert sent["scalabilityMode"] == scalability_mode, sent
        assert report["codec"] == codec.upper(), report
        assert report["publication"] == [f"video/{codec}"], report
        subscriber = lk.room._engine.subscriber
        assert subscriber is not None
        print("\nlkdesk receiver", [vars(r.stats) for r in subscriber.recoveries])
    finally:
        await lk.aclose()


async def test_a_publishers_switch_of_codec_mid_call_is_followed(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    """VP9 (blue) → AV1 (red) → VP8 (green): each new track decoded, the old one gone."""
    browser = await _join(
        browser_peer_factory, livekit_server, room_name, "sw", videoCodec="vp9", color=list(BLUE)
    )
    lk = LkdeskPeer()
    try:
        await lk.connect(livekit_server.ws_url, livekit_server.token("lkdesk", room_name))
        first = await check_colour(lk, "sw", BLUE)
        assert first["codec"] == "VP9", first
        for codec, colour in (("av1", RED), ("vp8", GREEN)):
            switched = await browser.republish_camera(videoCodec=codec, color=list(colour))
            report = await check_colour(lk, "sw", colour, sid=switched["sid"])
            assert report["codec"] == codec.upper(), report
            assert switched["oldSid"] not in lk.room.remote_participants["sw"].track_publications
    finally:
        await lk.aclose()

"""lkdesk sees and hears a livekit-client browser peer publishing like LiveKit Meet."""

from __future__ import annotations

import pytest

from lkdesk import rtc
from tests.browser.conftest import BrowserPeerFactory
from tests.integration.analysis import dominant_frequency, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, sample_audio, sample_video

pytestmark = pytest.mark.integration

BLUE = (0, 0, 255)
TONE_HZ = 660.0


def _center(frame):  # type: ignore[no-untyped-def]
    h, w = frame.shape[:2]
    return frame[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]


async def test_meet_style_browser_peer_is_seen_and_heard(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    browser = await browser_peer_factory("meet")
    joined = await browser.join(
        livekit_server.ws_url,
        livekit_server.token("meet", room_name),
        vp9_with_vp8_backup=True,
        simulcast=True,
        color=BLUE,
        tone_hz=TONE_HZ,
    )
    lk = LkdeskPeer()
    try:
        await lk.connect(livekit_server.ws_url, livekit_server.token("lkdesk", room_name))
        await lk.wait_until(lambda: "meet" in lk.room.remote_participants)
        meet = lk.room.remote_participants["meet"]
        video_pub = next(
            p for p in meet.track_publications.values() if p.kind == rtc.TrackKind.KIND_VIDEO
        )
        assert video_pub.codecs[0] == "video/vp9", video_pub.codecs
        video = await lk.subscribed("meet", rtc.TrackKind.KIND_VIDEO, deadline_s=20)
        frames = await sample_video(video, frames=15, deadline_s=20)
        color = mean_color(_center(frames[-1]))
        assert max(abs(c - e) for c, e in zip(color, BLUE, strict=True)) < 40, color
        # the primary codec itself, not the VP8 backup the publisher also encodes
        assert receiving_codec(lk, "meet") == "VP9"
        audio = await lk.subscribed("meet", rtc.TrackKind.KIND_AUDIO)
        freq = dominant_frequency(await sample_audio(audio, seconds=1.5), 48_000)
        assert abs(freq - TONE_HZ) / TONE_HZ < 0.02, freq
        state = await browser.state()
        print("browser publish info:", joined, state.get("published"))
    finally:
        await lk.aclose()


async def test_vp9_only_camera_is_seen_and_its_microphone_heard(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    """A VP9 camera without a backup codec (once refused by lkdesk) is decoded directly."""
    browser = await browser_peer_factory("vp9only")
    await browser.join(
        livekit_server.ws_url,
        livekit_server.token("vp9only", room_name),
        vp9_with_vp8_backup=False,
        simulcast=False,
        color=BLUE,
        tone_hz=TONE_HZ,
        videoCodec="vp9",
        backupCodec=False,
    )
    lk = LkdeskPeer()
    try:
        await lk.connect(livekit_server.ws_url, livekit_server.token("lkdesk", room_name))
        video = await lk.subscribed("vp9only", rtc.TrackKind.KIND_VIDEO, deadline_s=20)
        frames = await sample_video(video, frames=15, deadline_s=20)
        color = mean_color(_center(frames[-1]))
        assert max(abs(c - e) for c, e in zip(color, BLUE, strict=True)) < 40, color
        assert receiving_codec(lk, "vp9only") == "VP9"
        assert "track_subscription_failed" not in lk.events
        audio = await lk.subscribed("vp9only", rtc.TrackKind.KIND_AUDIO)
        freq = dominant_frequency(await sample_audio(audio, seconds=1.5), 48_000)
        assert abs(freq - TONE_HZ) / TONE_HZ < 0.02, freq
    finally:
        await lk.aclose()


def receiving_codec(lk: LkdeskPeer, identity: str) -> str:
    """The codec of the video packets lkdesk receives from ``identity`` (e.g. "VP9")."""
    subscriber = lk.room._engine.subscriber
    assert subscriber is not None
    sids = set(lk.room.remote_participants[identity].track_publications)
    mid = next(m for m, sid in subscriber.bindings.items() if sid in sids)
    receiver = next(t.receiver for t in subscriber._pc.getTransceivers() if t.mid == mid)
    recovery = next(r for r in subscriber.recoveries if r._receiver is receiver)
    return recovery.codec

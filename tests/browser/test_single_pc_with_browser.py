"""lkdesk in single-peer-connection mode with livekit-client (also /rtc/v1) in Chromium."""

from __future__ import annotations

import pytest

from lkdesk import rtc
from tests.browser.browser_peer import chat_texts
from tests.browser.conftest import BrowserPeerFactory
from tests.browser.test_browser_peer import _expect_media
from tests.integration.analysis import content_region, dominant_frequency, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_media import produce_tone, produce_video, running
from tests.integration.lkdesk_peer import LkdeskPeer, eventually, sample_audio, sample_video

pytestmark = pytest.mark.integration

BLUE = (0, 0, 255)
MAGENTA = (220, 30, 200)
BROWSER_HZ = 660.0
LKDESK_HZ = 550.0


async def test_v1_lkdesk_and_v1_browser_exchange_colour_tone_and_chat(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    browser = await browser_peer_factory("web")
    await browser.join(
        livekit_server.ws_url,
        livekit_server.token("web", room_name),
        vp9_with_vp8_backup=True,
        simulcast=True,
        color=BLUE,
        tone_hz=BROWSER_HZ,
        single_peer_connection=True,
    )
    lk = LkdeskPeer()
    source = rtc.VideoSource(320, 240)
    mic = rtc.AudioSource(48_000, 1)
    try:
        await lk.connect(
            livekit_server.ws_url,
            livekit_server.token("lkdesk", room_name),
            single_peer_connection=True,
        )
        assert lk.room._engine.single_connection is not None
        async with running(produce_video(source, MAGENTA)), running(produce_tone(mic, LKDESK_HZ)):
            local = lk.room.local_participant
            assert local is not None
            await local.publish_track(
                rtc.LocalVideoTrack.create_video_track("camera", source),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA),
            )
            await local.publish_track(
                rtc.LocalAudioTrack.create_audio_track("mic", mic),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
            )
            video = await lk.subscribed("web", rtc.TrackKind.KIND_VIDEO, deadline_s=20)
            frames = await sample_video(video, frames=15, deadline_s=20)
            h, w = frames[-1].shape[:2]
            color = mean_color(frames[-1], content_region(w, h))
            assert max(abs(c - e) for c, e in zip(color, BLUE, strict=True)) < 40, color
            audio = await lk.subscribed("web", rtc.TrackKind.KIND_AUDIO)
            freq = dominant_frequency(await sample_audio(audio, seconds=1.5), 48_000)
            assert abs(freq - BROWSER_HZ) / BROWSER_HZ < 0.02, freq

            state = await _expect_media(browser, "lkdesk", MAGENTA, LKDESK_HZ)
            assert state["pcMode"]["signalPath"] == "v1 (/rtc/v1)", state["pcMode"]

            chat = rtc.Chat(lk.room)
            await browser.send_chat("from the browser")
            await eventually(lambda: any(m.message == "from the browser" for m in chat.history))
            sent = await chat.send("from lkdesk")
            assert sent.state == rtc.DeliveryState.SENT
            await browser.wait_for(lambda s: "from lkdesk" in chat_texts(s, sender="lkdesk"), 15)
    finally:
        await lk.aclose()

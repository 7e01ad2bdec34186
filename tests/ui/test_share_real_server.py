"""Sharing an application window with computer audio into a real room: an official-SDK
peer receives the window's picture and the tone the speakers play (sandbox only)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest

from lkdesk.ui import AppSettings, MainWindow
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer
from tests.media.audio_tools import peak_above_floor_db, sine_into
from tests.media.test_windows import Windows
from tests.support.xvfb import xvfb
from tests.ui.helpers import until
from tests.ui.test_real_server import join_with_token

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
def green_window(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """An X display (for capture only; Qt stays offscreen) with one green app window."""
    with xvfb(800, 600) as display:
        monkeypatch.setenv("DISPLAY", display)
        windows = Windows(display)
        wid = windows.make("Quarterly numbers", 40, 40, 480, 270, 0x00B400, 1)
        windows.conn.core.GetInputFocus().reply()
        try:
            yield wid
        finally:
            windows.conn.disconnect()


async def test_window_and_computer_audio_reach_an_sdk_peer(
    window: MainWindow,
    settings: AppSettings,
    livekit_server: LiveKitServer,
    room_name: str,
    green_window: int,
) -> None:
    settings.set_join_with("mic", False)
    settings.set_join_with("camera", False)
    server = livekit_server
    async with SdkPeer(server.ws_url, server.token("viewer", room_name)) as peer:
        window.show()
        await join_with_token(window, server.ws_url, server.token("sam", room_name, name="Sam"))
        session = window.session
        assert session is not None
        source = f"window:{green_window:#x}"
        window.room.controls.share.click()
        await until(
            lambda: (
                window.share_picker is not None
                and source in window.share_picker.cards
                and window.share_picker.cards[source].has_picture
            ),
            what="the window's card",
        )
        picker = window.share_picker
        assert picker is not None
        assert "Quarterly numbers" in picker.cards[source].toolTip()
        assert picker.audio.isEnabled(), picker.audio.toolTip()
        picker.cards[source].click()
        picker.audio.setChecked(True)
        with sine_into("lk_sink", 880):
            picker.share_button.click()
            await until(lambda: session.local_media.screen_on, what="sharing to start")
            assert not window.isMinimized()  # a window, not the whole screen
            async with asyncio.timeout(30):
                video = await peer.subscribed_track("sam", "screen_share")
                audio = await peer.subscribed_track("sam", "screen_share_audio")
                frames = await peer.collect_video(video, frames=5)
                sound = await peer.collect_audio(audio, seconds=1.5)
    r, g, b = np.median([f.rgb.reshape(-1, 3).mean(axis=0) for f in frames], axis=0)
    assert g > 150 and r < 40 and b < 40, (r, g, b)
    assert frames[-1].rgb.shape[1] == 480  # the window, not the whole screen
    assert peak_above_floor_db(sound[24_000:], 880) > 25

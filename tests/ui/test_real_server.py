"""The real window against the real LiveKit server and an official-SDK peer (sandbox only).

Covers what lkdesk's receive path can show today: the peer's tile appears with the colour
it publishes, the muted icon follows its microphone, and the tile goes when it leaves.
Publishing from lkdesk (the peer seeing our track_muted) waits for rtc publishing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from lkdesk.session import SessionState, TileKey
from lkdesk.ui import MainWindow
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer
from tests.ui.helpers import pixels, until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

RED = (220, 40, 40)


async def join_with_token(window: MainWindow, url: str, token: str) -> None:
    start = window.start
    start.url.setText(url)
    start.token.setPlainText(token)
    start.save.setChecked(False)
    start.continue_button.click()
    await until(lambda: window.current_page() is window.prejoin, what="the pre-join page")
    window.prejoin.join_button.click()
    await until(
        lambda: (
            window.session is not None and window.session.status.state is SessionState.CONNECTED
        ),
        deadline_s=30,
        what="lkdesk to join the real room",
    )


def tile_centre_colour(window: MainWindow, key: TileKey) -> tuple[float, float, float]:
    image = pixels(window.room.area.tiles[key])
    h, w = image.shape[:2]
    centre = image[h // 4 : h // 2, w // 4 : 3 * w // 4]  # above the name and counter rows
    r, g, b = centre.reshape(-1, 3).mean(axis=0)
    return float(r), float(g), float(b)


async def test_sdk_peer_appears_with_its_colour_mute_state_and_leaves(
    window: MainWindow,
    livekit_server: LiveKitServer,
    room_name: str,
) -> None:
    server = livekit_server
    peer = SdkPeer(server.ws_url, server.token("alice", room_name, name="Alice"))
    await peer.connect()
    try:
        await peer.publish_video(color=RED)
        mic = await peer.publish_tone(440.0)
        window.show()
        await join_with_token(window, server.ws_url, server.token("lkdesk", room_name))
        key = TileKey("alice")
        area = window.room.area
        await until(lambda: key in area.tiles, deadline_s=15, what="alice's tile")
        assert area.tiles[key].label() == "Alice"
        await until(lambda: area.tiles[key].frame is not None, deadline_s=20, what="video")
        colour = tile_centre_colour(window, key)
        assert np.allclose(colour, RED, atol=35), colour
        assert area.tiles[key].state.mic_on

        mic.track.mute()
        await until(lambda: not area.tiles[key].state.mic_on, deadline_s=10, what="muted icon")
        assert window.room.people.rows["alice"].mic.toolTip() == "Microphone off"
        mic.track.unmute()
        await until(lambda: area.tiles[key].state.mic_on, deadline_s=10, what="unmuted")
    finally:
        await peer.aclose()
    await until(
        lambda: TileKey("alice") not in window.room.area.tiles,
        deadline_s=15,
        what="the tile to disappear",
    )
    assert "alice" not in window.room.people.rows
    await asyncio.sleep(0)


async def test_chat_mute_and_remove_work_with_an_sdk_peer(
    window: MainWindow,
    livekit_server: LiveKitServer,
    room_name: str,
) -> None:
    server = livekit_server
    peer = SdkPeer(server.ws_url, server.token("bob", room_name, name="Bob"))
    await peer.connect()
    heard: list[str] = []
    readers: set[asyncio.Task[None]] = set()

    def on_text(reader: Any, identity: str) -> None:
        async def read() -> None:
            heard.append(await reader.read_all())

        task = asyncio.get_running_loop().create_task(read())
        readers.add(task)
        task.add_done_callback(readers.discard)

    peer.room.register_text_stream_handler("lk.chat", on_text)
    try:
        window.settings.set_join_with("mic", True)
        window.show()
        window.activateWindow()
        await until(window.isActiveWindow, what="an active window")
        token = server.token("lkdesk", room_name, name="Desk", room_admin=True)
        await join_with_token(window, server.ws_url, token)
        session = window.session
        assert session is not None

        # chat both ways through the panel
        window.room.show_panel("chat")
        chat = window.room.chat
        QTest.keyClicks(chat.input, "hello from lkdesk")
        QTest.keyClick(chat.input, Qt.Key.Key_Return)
        await until(lambda: "hello from lkdesk" in heard, deadline_s=10, what="bob hears us")
        await peer.room.local_participant.send_text("hi from bob", topic="lk.chat")
        await until(
            lambda: "hi from bob" in chat.browser.toPlainText(),
            deadline_s=10,
            what="bob's message in the panel",
        )

        # the mic shortcut mutes lkdesk's published microphone; the peer sees track_muted
        # (the sandbox's PulseAudio provides a microphone)
        assert session.capabilities.microphone.available, session.capabilities.microphone
        await until(lambda: session.local_media.mic_on, deadline_s=10, what="mic on")
        async with asyncio.timeout(10):
            await peer.wait_for("track_published", lambda _pub, p: p.identity == "lkdesk")
        QTest.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
        async with asyncio.timeout(10):
            await peer.wait_for("track_muted", lambda p, _pub: p.identity == "lkdesk")
        assert not session.local_media.mic_on

        # a host removes bob from the people panel
        window.room.show_panel("people")
        await until(lambda: "bob" in window.room.people.rows, what="bob's row")
        assert window.room.people.rows["bob"].more.isVisibleTo(window.room.people)
        window.room.people.remove.emit("bob")
        async with asyncio.timeout(10):
            await peer.wait_for("disconnected")
        await until(lambda: "bob" not in window.room.people.rows, deadline_s=10)
    finally:
        for task in list(readers):
            task.cancel()
        await peer.aclose()


async def test_camera_shortcut_mutes_the_published_camera_for_the_peer(
    window: MainWindow,
    livekit_server: LiveKitServer,
    room_name: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cv2

    from tests.integration.analysis import content_region, make_frame, mean_color

    clip = tmp_path / "camera.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, (640, 480))
    for n in range(90):
        writer.write(cv2.cvtColor(make_frame((250, 200, 0), n, 640, 480), cv2.COLOR_RGB2BGR))
    writer.release()
    monkeypatch.setenv("LKDESK_CAMERA_FILE", str(clip))  # the clip stands in for a camera

    server = livekit_server
    peer = SdkPeer(server.ws_url, server.token("carol", room_name))
    await peer.connect()
    try:
        window.settings.set_join_with("camera", True)
        window.show()
        window.activateWindow()
        await until(window.isActiveWindow, what="an active window")
        await join_with_token(window, server.ws_url, server.token("lkdesk", room_name))
        session = window.session
        assert session is not None
        async with asyncio.timeout(20):
            track = await peer.subscribed_track("lkdesk", "camera")
            frames = await peer.collect_video(track, frames=10)
        colour = mean_color(frames[-1].rgb, content_region(640, 480))
        assert np.allclose(colour, (250, 200, 0), atol=35), colour

        QTest.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        async with asyncio.timeout(10):
            await peer.wait_for("track_muted", lambda p, pub: p.identity == "lkdesk")
        await until(lambda: not session.local_media.camera_on, what="camera shown as off")
        QTest.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        async with asyncio.timeout(10):
            await peer.wait_for("track_unmuted", lambda p, pub: p.identity == "lkdesk")
            again = await peer.collect_video(track, frames=5)
        assert len(again) == 5
        await until(lambda: session.local_media.camera_on, what="camera shown as on")
    finally:
        await peer.aclose()

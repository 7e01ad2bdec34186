"""The admin console across two real LiveKit servers at once: both servers' rooms, people and
tracks appear and follow changes live; a participant is removed, a room created and deleted
through RoomService from the console."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lkdesk.ui import MainWindow
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer
from tests.ui.helpers import until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
def second_server(livekit_server: LiveKitServer) -> Iterator[LiveKitServer]:
    server = LiveKitServer.create()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def tree_text(window: MainWindow) -> str:
    console = window.desktop.console
    assert console is not None
    return "\n".join(
        f"{item.text(0)} | {item.text(1)}"
        for item in console._items()
    )


async def test_the_console_shows_and_administers_rooms_on_two_servers(
    window: MainWindow, livekit_server: LiveKitServer, second_server: LiveKitServer, room_name: str
) -> None:
    one, two = livekit_server, second_server
    book = window.factory.book
    assert book is not None
    await book.save_api_key("Server one", one.ws_url, one.api_key, one.api_secret)
    await book.save_api_key("Server two", two.ws_url, two.api_key, two.api_secret)
    ana = SdkPeer(one.ws_url, one.token("ana", f"{room_name}-a", name="Ana"))
    bo = SdkPeer(two.ws_url, two.token("bo", f"{room_name}-b", name="Bo"))
    await ana.connect()
    await bo.connect()
    try:
        await ana.publish_tone(440.0)
        await bo.publish_video(color=(200, 30, 30))
        window.show()
        window.start.console_button.click()
        console = window.desktop.console
        assert console is not None and console.isVisible()
        console._refresh_s = 0.5
        console.refresh_now()
        await until(
            lambda: "ana | Ana" in tree_text(window) and "bo | Bo" in tree_text(window),
            deadline_s=15,
            what="both servers' people",
        )
        text = tree_text(window)
        assert "Server one | 1 room(s)" in text and "Server two | 1 room(s)" in text
        assert f"{room_name}-a | 1 participant(s)" in text
        assert "microphone | audio" in text and "camera | video" in text

        # live: someone joins on server two
        async with SdkPeer(two.ws_url, two.token("cy", f"{room_name}-b", name="Cy")):
            await until(lambda: "cy | Cy" in tree_text(window), deadline_s=10, what="cy")
        await until(lambda: "cy | Cy" not in tree_text(window), deadline_s=15, what="cy gone")

        # remove Ana through the console: her room empties and she is disconnected
        assert console.select("participant", f"{room_name}-a", "ana")
        assert console.remove.isEnabled()
        console.remove.click()
        await ana.wait_for("disconnected")
        await until(lambda: "ana | Ana" not in tree_text(window), deadline_s=10, what="ana gone")

        # a room created on server two appears; deleting it disconnects nobody else
        assert console.select("server")
        console.tree.setCurrentItem(
            next(i for i in console._items() if i.text(0) == "Server two")
        )
        console.room_name.setText(f"{room_name}-new")
        console.create_button.click()
        await until(lambda: f"{room_name}-new" in tree_text(window), deadline_s=10, what="room")
        assert console.select("room", f"{room_name}-new")
        console.delete.click()
        await until(lambda: f"{room_name}-new" not in tree_text(window), deadline_s=10, what="del")
        assert "bo | Bo" in tree_text(window)
        console.close()
    finally:
        await ana.aclose()
        await bo.aclose()

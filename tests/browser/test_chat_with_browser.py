"""Chat between lkdesk and livekit-client in Chromium, the way LiveKit Meet does it."""

from __future__ import annotations

import pytest

from lkdesk import rtc
from tests.browser.browser_peer import chat_texts
from tests.browser.conftest import BrowserPeerFactory
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, eventually

pytestmark = pytest.mark.integration


async def test_chat_goes_both_ways_with_a_browser_peer(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    browser = await browser_peer_factory("web")
    await browser.join(
        livekit_server.ws_url,
        livekit_server.token("web", room_name),
        publish_video=False,
        publish_audio=False,
    )
    lk = LkdeskPeer()
    try:
        await lk.connect(livekit_server.ws_url, livekit_server.token("lkdesk", room_name))
        chat = rtc.Chat(lk.room)
        received: list[rtc.ChatMessage] = []
        chat.on("message_received", received.append)
        await eventually(lambda: "web" in lk.room.remote_participants)

        browser_text = "Grüße aus dem Browser 👋\nzweite Zeile"
        await browser.send_chat(browser_text, legacy=True)
        await eventually(lambda: bool(received))
        assert [(m.sender_identity, m.message) for m in received] == [("web", browser_text)]

        sent = await chat.send("Hello from lkdesk ✓")
        assert sent.state == rtc.DeliveryState.SENT
        await browser.wait_for(
            lambda s: "Hello from lkdesk ✓" in chat_texts(s, sender="lkdesk"), 10
        )
        state = await browser.state()
        assert chat_texts(state, sender="lkdesk").count("Hello from lkdesk ✓") == 1
        assert [m.message for m in chat.history] == [browser_text, "Hello from lkdesk ✓"]
        assert len(received) == 1, "the legacy copy of the browser's message was shown twice"
    finally:
        await lk.aclose()


async def test_deprecated_chat_packets_from_a_browser_arrive_and_edit(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    browser = await browser_peer_factory("old")
    await browser.join(
        livekit_server.ws_url,
        livekit_server.token("old", room_name),
        publish_video=False,
        publish_audio=False,
    )
    lk = LkdeskPeer()
    try:
        await lk.connect(livekit_server.ws_url, livekit_server.token("lkdesk", room_name))
        chat = rtc.Chat(lk.room)
        updated: list[rtc.ChatMessage] = []
        chat.on("message_updated", updated.append)
        await eventually(lambda: "old" in lk.room.remote_participants)
        sent = await browser.send_chat("sent with sendChatMessage", chat_packet=True)
        await eventually(lambda: bool(chat.history))
        [message] = chat.history
        assert (message.id, message.sender_identity) == (sent["id"], "old")
        assert message.message == "sent with sendChatMessage"
        await browser.send_chat("edited text", chat_packet=True, edit_id=sent["id"])
        await eventually(lambda: bool(updated))
        assert [m.message for m in chat.history] == ["edited text"]
        assert chat.history[0].edit_timestamp is not None
    finally:
        await lk.aclose()

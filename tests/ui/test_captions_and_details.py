"""Captions, the transcript tab and connection details in the real window (sandbox only).

An official-SDK agent transcribes Ana (legacy packets and ``lk.transcription`` streams,
interim then final) while Ana publishes a 640x360 VP8 camera and a tone: the captions
overlay shows the lines in order, interim in grey italics, replaced as they firm up; the
chat's transcript tab finds them; the connection-details panel and Ana's tile box show the
codec and size Ana's SDK reports sending. The last test drops 5 % of what the server sends
(iptables in the sandbox's network namespace, matched on the server's media port) and the
panel shows the download loss with its warning.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from livekit import rtc as sdk
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from lkdesk.session import SessionState, TileKey
from lkdesk.ui import MainWindow
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer
from tests.ui.helpers import until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

ALT_SHIFT = Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


async def _join(window: MainWindow, url: str, token: str) -> None:
    window.show()
    window.activateWindow()
    await until(window.isActiveWindow, what="an active window")
    start = window.start
    start.url.setText(url)
    start.token.setPlainText(token)
    start.save.setChecked(False)
    start.continue_button.click()
    # opening imports the whole media stack the first time: slow on a loaded machine
    await until(lambda: window.current_page() is window.prejoin, 30, "the pre-join page")
    window.prejoin.join_button.click()
    await until(
        lambda: (
            window.session is not None and window.session.status.state is SessionState.CONNECTED
        ),
        30,
        "lkdesk to join the room",
    )


@pytest_asyncio.fixture(loop_scope="session")
async def ana(livekit_server: LiveKitServer, room_name: str) -> AsyncIterator[SdkPeer]:
    peer = SdkPeer(livekit_server.ws_url, livekit_server.token("ana", room_name, name="Ana"))
    await peer.connect()
    try:
        await peer.publish_video(
            color=(40, 160, 90), width=640, height=360, scalability_mode="L1T1"
        )
        await peer.publish_tone(440.0, red=False)
        yield peer
    finally:
        await peer.aclose()


def _sent_video(stats: Any) -> tuple[str, int, int]:
    """Codec name and size of the SDK peer's outgoing video, from its own statistics."""
    entries = stats.publisher_stats + stats.subscriber_stats
    video = next(
        e.outbound_rtp
        for e in entries
        if e.HasField("outbound_rtp") and e.outbound_rtp.stream.kind == "video"
    )
    codec = next(
        e.codec.codec
        for e in entries
        if e.HasField("codec") and e.codec.rtc.id == video.stream.codec_id
    )
    return codec.mime_type.split("/")[-1], video.outbound.frame_width, video.outbound.frame_height


async def test_agent_captions_show_in_order_and_the_details_match_what_the_peer_sends(
    window: MainWindow, livekit_server: LiveKitServer, room_name: str, ana: SdkPeer
) -> None:
    server = livekit_server
    agent = SdkPeer(server.ws_url, server.token("agent", room_name, name="Agent", kind="agent"))
    await agent.connect()
    try:
        await _join(window, server.ws_url, server.token("lkdesk", room_name, name="Desk"))
        room = window.room
        await until(lambda: TileKey("ana") in room.area.tiles, 30, "Ana's tile")
        QTest.keyClick(window, Qt.Key.Key_C, ALT_SHIFT)
        await until(lambda: room.controls.captions.isChecked(), what="captions switched on")
        captions = room.extras.captions
        captions.linger_s = 120.0  # a slow machine must not see Ana's line leave meanwhile
        mic = next(
            p.sid
            for p in ana.room.local_participant.track_publications.values()
            if p.kind == sdk.TrackKind.KIND_AUDIO
        )

        async def legacy(text: str, final: bool) -> None:
            segment = sdk.TranscriptionSegment(
                id="SG_1", text=text, start_time=0, end_time=0, language="en", final=final
            )
            await agent.room.local_participant.publish_transcription(
                sdk.Transcription(participant_identity="ana", track_sid=mic, segments=[segment])
            )

        await legacy("could you share", False)
        await until(lambda: captions.texts() == [("Ana", "could you share", False)], 30, "interim")
        assert captions.isVisible() and "font-style:italic" in captions.label.text()
        await legacy("Could you share the agenda?", True)
        await until(
            lambda: captions.texts() == [("Ana", "Could you share the agenda?", True)], 30, "final"
        )
        assert "font-style:italic" not in captions.label.text()
        writer = await agent.room.local_participant.stream_text(
            topic="lk.transcription", attributes={"lk.segment_id": "SG_2"}
        )
        await writer.write("Sure, sharing it now.")
        await writer.aclose(attributes={"lk.transcription_final": "true"})
        expected = [
            ("Ana", "Could you share the agenda?", True),
            ("Agent", "Sure, sharing it now.", True),
        ]
        await until(lambda: captions.texts() == expected, 30, f"{expected} in the captions")

        room.show_panel("chat")
        room.chat.tabs.setCurrentIndex(1)
        QTest.keyClicks(room.chat.transcript.search, "AGENDA")
        await until(
            lambda: "Could you share the agenda?" in room.chat.transcript.browser.toPlainText(),
            what="the caption found in the transcript",
        )
        assert "Sure, sharing" not in room.chat.transcript.browser.toPlainText()
        assert room.chat.transcript.count.text() == "found: 0 messages, 1 spoken line"
        room.show_panel(None)

        QTest.keyClick(window, Qt.Key.Key_I, CTRL_SHIFT)
        panel = room.extras.details.panel
        assert panel.isVisible()
        codec, width, height = _sent_video(await ana.room.get_rtc_stats())
        shown = f"{codec} · {width}×{height}"
        await until(lambda: shown in panel.text(), 30, f"{shown!r} in the panel")
        assert "Ana's video (received)" in panel.text() and "Ana's audio (received)" in panel.text()
        assert "Upload" in panel.text() and "Download" in panel.text()
        room.area.details_requested.emit(TileKey("ana"))  # the tile's context menu item
        box = room.extras.details.boxes[TileKey("ana")]
        await until(lambda: shown in box.text(), 10, "the figures on Ana's tile")
        QTest.keyClick(window, Qt.Key.Key_I, CTRL_SHIFT)
        room.area.details_requested.emit(TileKey("ana"))
        assert not panel.isVisible() and not room.extras.details.boxes
        await _leave(window)
    finally:
        await agent.aclose()


@pytest.fixture
def lossy_downlink(livekit_server: LiveKitServer) -> Iterator[None]:
    """Drop 5 % of the UDP packets the server's media port sends, for this test only."""
    rule = [
        "OUTPUT", "-p", "udp", "--sport", str(livekit_server.ports.rtc_udp),
        "-m", "statistic", "--mode", "random", "--probability", "0.05", "-j", "DROP",
    ]  # fmt: skip
    subprocess.run(["iptables", "-A", *rule], check=True)
    try:
        yield
    finally:
        subprocess.run(["iptables", "-D", *rule], check=True)


async def test_download_loss_shows_in_the_connection_details(
    window: MainWindow,
    livekit_server: LiveKitServer,
    room_name: str,
    ana: SdkPeer,
    lossy_downlink: None,
) -> None:
    await _join(window, livekit_server.ws_url, livekit_server.token("lkdesk", room_name))
    room = window.room
    await until(lambda: TileKey("ana") in room.area.tiles, 30, "Ana's tile")
    room.extras.toggle_details()
    details = room.extras.details

    def lossy() -> bool:
        latest = details.latest
        return latest is not None and 0.02 <= latest.download_loss <= 0.12

    await until(lossy, 30, "a second with about 5 % download loss")
    latest = details.latest
    assert latest is not None
    print(f"download loss shown: {latest.download_loss:.3f} (5 % of the server's packets dropped)")
    text = details.panel.text()
    assert "Your download is dropping packets" in text, text
    assert f"loss {latest.download_loss * 100:.1f} %" in text
    assert sum(t.packets_lost for t in latest.for_tile(TileKey("ana"))) > 0
    room.extras.toggle_details()
    await _leave(window)  # while the loss lasts: ICE and TURN shut down under it


async def _leave(window: MainWindow) -> None:
    """Leave and wait until aioice's tasks (TURN refreshes, checks) have finished.

    Closing the window with the call still up sometimes leaves a cancelled TURN refresh
    task unfinished past the leak guard's one second on this loaded machine."""
    window.leave()
    await until(lambda: window.current_page() is window.ended, 20, "the call to end")
    await until(lambda: not _ice_tasks(), 10, "aioice's tasks to finish")


def _ice_tasks() -> list[asyncio.Task[Any]]:
    """Unfinished tasks running aioice's code (ICE checks, TURN refreshes)."""
    code = [(t, getattr(t.get_coro(), "cr_code", None)) for t in asyncio.all_tasks()]
    return [t for t, c in code if not t.done() and c is not None and "aioice" in c.co_filename]

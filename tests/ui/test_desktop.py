"""What a desktop app does around its window, in the demo room: the call survives closing
the window (tray menu: show, mute, camera, leave, quit), quitting or closing without a tray
asks first, a mini window shows the speaker while lkdesk is in the background, tiles pop
out into their own windows and go back, missed messages become desktop notifications
(received by a notification service on the sandbox's D-Bus), and the chat history is
searchable from the chat panel and forgotten per room."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox, QWidget

from lkdesk.session import SessionState
from lkdesk.session.history import ChatHistory
from lkdesk.ui import MainWindow
from tests.support.notifications import notification_service
from tests.ui.helpers import join_demo, until

pytestmark = pytest.mark.asyncio(loop_scope="session")


def closed_signal(window: MainWindow) -> list[bool]:
    fired: list[bool] = []
    window.closed.connect(lambda: fired.append(True))
    return fired


async def test_closing_during_a_call_keeps_it_in_the_tray_whose_menu_drives_it(
    window: MainWindow,
) -> None:
    tray = window.desktop.tray
    tray.available = True  # the offscreen platform has no tray; the menu is real
    window.show()
    await join_demo(window)
    session = window.session
    assert session is not None
    fired = closed_signal(window)
    assert not window.close()
    assert not window.isVisible() and not fired
    assert session.status.state is SessionState.CONNECTED
    assert tray.leave_action.isVisible() and tray.mic_action.text() == "Mute microphone"

    tray.mic_action.trigger()
    await until(lambda: not session.local_media.mic_on, what="muted from the tray")
    assert tray.mic_action.text() == "Unmute microphone"
    tray.camera_action.trigger()
    await until(lambda: not session.local_media.camera_on, what="camera off from the tray")
    tray.show_action.trigger()
    assert window.isVisible()
    tray.leave_action.trigger()
    await until(lambda: session.status.state is SessionState.ENDED, what="left from the tray")
    assert not tray.leave_action.isVisible() and not fired
    assert window.close() and fired  # no call: closing closes


async def test_quitting_during_a_call_asks_and_cancel_keeps_the_call(window: MainWindow) -> None:
    window.desktop.tray.available = True
    window.show()
    await join_demo(window)
    fired = closed_signal(window)
    window.desktop.tray.quit_action.trigger()
    box = window.desktop.ask_box
    assert box is not None and box.isVisible() and "quit" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    await until(lambda: window.desktop.ask_box is None, what="the question to close")
    assert window.session is not None and window.session.status.state is SessionState.CONNECTED
    window.desktop.tray.quit_action.trigger()
    box = window.desktop.ask_box
    assert box is not None and window.desktop.leave_button is not None
    window.desktop.leave_button.click()
    await until(lambda: bool(fired), what="lkdesk to quit")


async def test_without_a_tray_closing_during_a_call_asks_first(window: MainWindow) -> None:
    window.desktop.tray.available = False
    window.show()
    await join_demo(window)
    fired = closed_signal(window)
    assert not window.close()
    box = window.desktop.ask_box
    assert box is not None and box.isVisible() and box.text() == "Leave the call and close lkdesk?"
    assert window.isVisible() and not fired
    assert window.session is not None and window.session.status.state is SessionState.CONNECTED
    box.button(QMessageBox.StandardButton.Cancel).click()
    await until(lambda: window.desktop.ask_box is None, what="the question to close")


async def test_the_mini_window_shows_the_speaker_while_minimised_and_can_be_dragged(
    window: MainWindow,
) -> None:
    window.show()
    await join_demo(window)
    session = window.session
    assert session is not None
    mini = window.desktop.mini
    window.showMinimized()
    await until(mini.isVisible, what="the mini window")
    assert mini.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert mini.tile is not None and not mini.tile.state.is_local
    await until(lambda: mini.tile is not None and mini.tile.frame is not None, what="video")
    mini.mic.click()
    await until(lambda: not session.local_media.mic_on, what="muted from the mini window")
    start = mini.pos()
    QTest.mousePress(mini, Qt.MouseButton.LeftButton, pos=QPoint(150, 5))
    QTest.mouseMove(mini, QPoint(90, 45))
    QTest.mouseRelease(mini, Qt.MouseButton.LeftButton, pos=QPoint(90, 45))
    assert mini.pos() == start + QPoint(-60, 40)
    window.showNormal()
    window.activateWindow()
    await until(lambda: not mini.isVisible(), what="the mini window to go")

    other = QWidget()  # another application's window takes the focus
    other.show()
    other.activateWindow()
    await until(mini.isVisible, what="the mini window when focus goes elsewhere")
    other.close()
    window.desktop.show_window()
    window.settings.set_flag("mini_window", False)
    window.showMinimized()
    await asyncio.sleep(0.2)
    assert not mini.isVisible()
    window.showNormal()


async def test_a_tile_pops_out_into_its_own_window_and_goes_back_when_closed(
    window: MainWindow,
) -> None:
    window.show()
    await join_demo(window)
    area = window.room.area
    await until(lambda: len(area.tiles) >= 3, what="the demo's tiles")
    key = next(k for k, t in area.tiles.items() if not t.state.is_local)
    area.tiles[key].popout_requested.emit(key)  # the tile's menu: "Open in its own window"
    popped = window.desktop.popouts.windows[key]
    assert popped.isVisible() and popped.isWindow()
    assert key not in {t.key for t in area.ordered()} and not area.tiles[key].isVisible()
    await until(lambda: popped.isActiveWindow(), what="the pop-out to take the focus")
    await asyncio.sleep(0.2)
    assert not window.desktop.mini.isVisible()  # lkdesk still has the user's attention
    popped.resize(1200, 700)
    await until(lambda: popped.tile.frame is not None, what="video in the pop-out")
    shown = popped.tile.frames_shown
    await until(lambda: popped.tile.frames_shown > shown + 3, what="the pop-out to keep painting")
    popped.close()
    await until(lambda: key in {t.key for t in area.ordered()}, what="the tile back in the grid")
    assert area.tiles[key].isVisible() and key not in window.desktop.popouts.windows


async def test_a_message_while_in_the_background_becomes_a_desktop_notification(
    window: MainWindow, tmp_path: Path
) -> None:
    with notification_service(tmp_path) as service:
        window.show()
        await join_demo(window)
        session = window.session
        assert session is not None
        window.showMinimized()
        await session.send_chat("hello everyone")  # the demo answers "Hi <name>!"
        await until(lambda: len(service.all()) >= 1, what="a notification", deadline_s=10)
        note = service.all()[0]
        reply = next(e for e in session.chat_history if not e.is_local)
        assert note["summary"] == f"{reply.sender_name} mentioned you in {session.room_name}"
        assert note["body"] == reply.text and note["urgency"] == 2 and note["app"] == "lkdesk"

        window.settings.set_flag("do_not_disturb", True)
        await session.send_chat("any questions?")
        await until(lambda: len(session.chat_history) >= 4, what="the second answer")
        await asyncio.sleep(0.3)
        assert len(service.all()) == 1  # do not disturb
        window.settings.set_flag("do_not_disturb", False)
        window.showNormal()
        window.activateWindow()
        await until(window.isActiveWindow, what="an active window")
        await session.send_chat("hello again")
        await until(lambda: len(session.chat_history) >= 6, what="the third answer")
        await asyncio.sleep(0.3)
        assert len(service.all()) == 1  # in the foreground: the chat shows it


async def test_chat_history_is_searchable_in_the_panel_and_forgotten_per_room(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "history.sqlite3"
    window.desktop.history = ChatHistory(path)
    window.show()
    await join_demo(window)
    assert window.session is not None
    await window.session.send_chat("the quarterly numbers are in the sheet")
    await window.session.send_chat("lunch at noon?")
    window.room.controls.leave.click()
    await until(lambda: window.current_page() is window.ended, what="the call to end")

    window.back_to_start()
    await join_demo(window)  # a later call in the same room
    chat = window.room.chat
    window.room.show_panel("chat")
    chat.history_button.click()
    view = window.desktop.history_view
    assert view.isVisible() and not chat.browser.isVisible()
    QTest.keyClicks(view.query, "QUARTERLY")
    await until(lambda: "1 message(s)" in view.status.text(), what="the search result")
    assert "the quarterly numbers are in the sheet" in view.results.toPlainText()
    assert "lunch" not in view.results.toPlainText()
    view.forget.click()
    view.forget.click()
    await until(lambda: "Forgot" in view.status.text(), what="the room to be forgotten")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM messages").fetchone() == (0,)
    chat.history_button.click()
    assert chat.browser.isVisible()


async def test_with_history_off_nothing_is_kept(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    window.desktop.history = ChatHistory(path)
    window.settings.set_flag("history", False)
    window.show()
    await join_demo(window)
    assert window.session is not None
    await window.session.send_chat("nothing to keep")
    await until(lambda: len(window.session.chat_history) >= 2, what="an answer")  # type: ignore[union-attr]
    assert window.desktop.recorder is None and not path.exists()

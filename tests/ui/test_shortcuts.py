"""Keyboard shortcuts drive the call: mic, camera, push-to-talk, remapping, help overlay."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from lkdesk.session import TileKey
from lkdesk.ui import MainWindow
from lkdesk.ui.settings import AppSettings
from lkdesk.ui.shortcuts import Action, Shortcuts
from tests.ui.helpers import join_demo, until

pytestmark = pytest.mark.asyncio(loop_scope="session")

CTRL = Qt.KeyboardModifier.ControlModifier


async def _active_room(window: MainWindow, qtbot: Any) -> None:
    # QShortcut needs an active window. pytest-qt's waitActive() spins processEvents inside
    # the running qasync loop (re-entrancy); poll from the coroutine instead.
    window.show()
    window.activateWindow()
    await until(window.isActiveWindow, what="the window to become active")
    await join_demo(window)


async def test_ctrl_d_and_ctrl_e_toggle_mic_and_camera(window: MainWindow, qtbot: Any) -> None:
    await _active_room(window, qtbot)
    session = window.session
    assert session is not None and session.local_media.mic_on and session.local_media.camera_on

    QTest.keyClick(window, Qt.Key.Key_D, CTRL)
    await until(lambda: not session.local_media.mic_on, what="mic off")
    assert window.room.controls.mic.property("off") is True
    assert not window.room.area.tiles[TileKey("you")].state.mic_on

    QTest.keyClick(window, Qt.Key.Key_E, CTRL)
    await until(lambda: not session.local_media.camera_on, what="camera off")
    await until(lambda: not window.room.area.tiles[TileKey("you")].shows_video)

    QTest.keyClick(window, Qt.Key.Key_D, CTRL)
    QTest.keyClick(window, Qt.Key.Key_E, CTRL)
    await until(lambda: session.local_media.mic_on and session.local_media.camera_on)


async def test_push_to_talk_unmutes_only_while_held(window: MainWindow, qtbot: Any) -> None:
    await _active_room(window, qtbot)
    session = window.session
    assert session is not None
    QTest.keyClick(window, Qt.Key.Key_D, CTRL)
    await until(lambda: not session.local_media.mic_on)

    QTest.keyPress(window, Qt.Key.Key_Space)
    await until(lambda: session.local_media.mic_on, what="mic on while space is held")
    QTest.keyRelease(window, Qt.Key.Key_Space)
    await until(lambda: not session.local_media.mic_on, what="mic off after release")


async def test_remapped_shortcut_works_and_is_saved(
    window: MainWindow, qtbot: Any, settings: AppSettings
) -> None:
    await _active_room(window, qtbot)
    session = window.session
    assert session is not None
    window.shortcuts.set_key(Action.TOGGLE_MIC, QKeySequence("Ctrl+M"))
    assert "Ctrl+M" in window.room.controls.mic.toolTip()

    QTest.keyClick(window, Qt.Key.Key_M, CTRL)
    await until(lambda: not session.local_media.mic_on, what="mic off via Ctrl+M")
    QTest.keyClick(window, Qt.Key.Key_D, CTRL)  # the old key does nothing now
    await asyncio.sleep(0.2)
    assert not session.local_media.mic_on

    assert settings.shortcut("toggle_mic") == "Ctrl+M"
    fresh = Shortcuts(window, settings)
    assert fresh.key(Action.TOGGLE_MIC).toString() == "Ctrl+M"
    fresh.deleteLater()


async def test_help_overlay_lists_the_shortcuts(window: MainWindow, qtbot: Any) -> None:
    await _active_room(window, qtbot)
    assert "Ctrl+D" in window.room.controls.mic.toolTip()
    QTest.keyClick(window, Qt.Key.Key_F1)
    await until(lambda: window.help.isVisible(), what="the help overlay")
    texts = [label.text() for label in window.help.card.findChildren(QLabel)]
    assert "Ctrl+D" in texts and "Space" in texts
    QTest.keyClick(window.help, Qt.Key.Key_Escape)
    await until(lambda: not window.help.isVisible())


async def test_chat_shortcut_opens_the_chat(window: MainWindow, qtbot: Any) -> None:
    await _active_room(window, qtbot)
    QTest.keyClick(window, Qt.Key.Key_C, CTRL | Qt.KeyboardModifier.ShiftModifier)
    await until(lambda: window.room.panel() == "chat", what="chat panel")

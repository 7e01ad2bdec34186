"""The chat panel sends and receives in the demo room: history, replies, links, unread, files."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtTest import QTest

from lkdesk.session import ChatDelivery, ChatEntry, TransferState
from lkdesk.ui import MainWindow
from lkdesk.ui.chat_panel import RETRY_SCHEME, ChatPanel
from tests.ui.helpers import join_demo, until

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_message_typed_in_the_panel_is_sent_and_answered(
    window: MainWindow, qtbot: Any
) -> None:
    window.show()
    await join_demo(window)
    session = window.session
    assert session is not None
    window.room.controls.chat.click()
    assert window.room.panel() == "chat"
    chat = window.room.chat
    QTest.keyClicks(chat.input, "Hello team, see https://example.com/agenda")
    QTest.keyClick(chat.input, Qt.Key.Key_Return)
    await until(lambda: len(session.chat_history) >= 2, what="a reply from the demo room")
    mine, reply = session.chat_history[:2]
    assert mine.is_local and mine.text.startswith("Hello team")
    assert not reply.is_local
    text = chat.browser.toPlainText()
    assert "Hello team" in text and reply.text in text and reply.sender_name in text
    assert 'href="https://example.com/agenda"' in chat.browser.toHtml()
    assert chat.input.text() == ""
    assert window.room.controls.chat.badge == 0


async def test_unread_badge_counts_messages_while_the_chat_is_closed(
    window: MainWindow, qtbot: Any
) -> None:
    window.show()
    await join_demo(window)
    session = window.session
    assert session is not None
    await session.send_chat("anyone there?")
    await until(lambda: window.room.controls.chat.badge == 1, what="an unread badge")
    assert any(":" in t for t in window.room.toasts.texts())
    window.room.controls.chat.click()
    assert window.room.controls.chat.badge == 0


async def test_send_a_file_with_progress_and_save_a_copy(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    window.show()
    await join_demo(window)
    session = window.session
    assert session is not None
    window.room.show_panel("chat")
    source = tmp_path / "notes.txt"
    source.write_text("minutes of the meeting\n" * 100)
    chat = window.room.chat
    chat.send_file.emit(source)
    await until(lambda: bool(chat._transfers), what="a progress bar")
    await until(lambda: any(m.attachment for m in session.chat_history), what="the file")
    assert not chat._transfers
    transfer = next(t for t in session.transfers if t.file_name == "notes.txt")
    assert transfer.state is TransferState.DONE and transfer.size == source.stat().st_size
    assert "notes.txt" in chat.browser.toPlainText()
    assert f"lkdesk-file:{transfer.id}" in chat.browser.toHtml()
    target = tmp_path / "copy.txt"
    chat.save_file.emit(transfer.id, target)
    await until(lambda: target.exists() and target.read_text() == source.read_text())


async def test_own_message_shows_sending_then_failed_with_retry_then_sent(qtbot: Any) -> None:
    panel = ChatPanel()
    qtbot.addWidget(panel)
    sending = ChatEntry(
        "m1", "me", "Me", "are you there?", datetime.now(UTC), True, None, ChatDelivery.SENDING
    )
    panel.add_message(sending)
    assert "Sending…" in panel.browser.toPlainText()

    failed = ChatEntry(
        "m1", "me", "Me", "are you there?", sending.sent_at, True, None, ChatDelivery.FAILED,
        "The call ended before this could be sent",
    )  # fmt: skip
    panel.update_message(failed)
    text = panel.browser.toPlainText()
    assert "Sending…" not in text
    assert "Not sent: The call ended before this could be sent" in text and "Try again" in text
    assert f'href="{RETRY_SCHEME}:m1"' in panel.browser.toHtml()
    with qtbot.waitSignal(panel.retry_message) as retry:
        panel._link_clicked(QUrl(f"{RETRY_SCHEME}:m1"))
    assert retry.args == ["m1"]

    panel.update_message(replace(failed, delivery=ChatDelivery.SENT, error=""))
    text = panel.browser.toPlainText()
    assert text.count("are you there?") == 1
    assert "Not sent" not in text and "Sending…" not in text

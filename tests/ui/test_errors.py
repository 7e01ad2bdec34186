"""Failures become messages that say what to do; the window never freezes or shows a trace."""

from __future__ import annotations

import socket

import pytest

from lkdesk.session import DeviceKind
from lkdesk.ui import MainWindow
from tests.ui.helpers import until
from tests.ui.test_start_screen import token

pytestmark = pytest.mark.asyncio(loop_scope="session")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_server_is_explained_on_the_device_check(window: MainWindow) -> None:
    window.show()
    start = window.start
    start.url.setText(f"ws://127.0.0.1:{closed_port()}")
    start.token.setPlainText(token())
    start.save.setChecked(False)
    start.continue_button.click()
    await until(lambda: window.current_page() is window.prejoin, what="the device check")
    prejoin = window.prejoin
    if not window.session or not window.session.devices(DeviceKind.CAMERA):
        assert "No camera was found" in prejoin.media_note.text()
    assert not prejoin.name.isEnabled()  # the token decides the name
    prejoin.join_button.click()
    await until(lambda: prejoin.error.isVisible(), deadline_s=15, what="a join error")
    assert window.current_page() is prejoin
    text = prejoin.error.text()
    assert "Traceback" not in text and len(text) > 20
    assert prejoin.join_button.isEnabled()

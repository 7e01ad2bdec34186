"""The network check from the pre-join screen and from Settings → Network, against the real
server: each step shows its mark and words, the summary says all is well; the demo room
says there is nothing to check."""

from __future__ import annotations

import pytest

from lkdesk.session import TokenTarget
from lkdesk.session.network_check import StepState
from lkdesk.ui import MainWindow
from lkdesk.ui.start_page import JoinRequest
from tests.integration.livekit_server import LiveKitServer
from tests.ui.helpers import until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_prejoin_network_check_shows_each_step_and_a_summary(
    window: MainWindow, livekit_server: LiveKitServer, room_name: str
) -> None:
    window.show()
    token = livekit_server.token("checker", room_name)
    window.open_target(JoinRequest(TokenTarget(livekit_server.ws_url, token)))
    await until(lambda: window.current_page() is window.prejoin, what="the pre-join page")
    window.prejoin.network_button.click()
    dialog = window.dialogs.network_dialog
    assert dialog is not None and dialog.isVisible()
    await until(lambda: dialog.report is not None, deadline_s=40, what="the check to finish")
    assert dialog.report is not None and dialog.report.ok
    states = {key: row.step.state for key, row in dialog.rows.items() if row.step}
    assert states["signalling"] is StepState.PASS and states["publish"] is StepState.PASS
    assert states["udp"] is StepState.PASS and states["uplink"] is StepState.PASS
    assert "Round-trip time" in dialog.rows["rtt"].text.text()
    assert "What to do: Ask the server's administrator" in dialog.rows["relay"].text.text()
    assert dialog.summary.text() == "Everything a call needs works from here."
    dialog.close()


async def test_settings_checks_the_network_to_a_saved_server(
    window: MainWindow, livekit_server: LiveKitServer
) -> None:
    book = window.factory.book
    assert book is not None
    server = livekit_server
    await book.save_api_key("Test server", server.ws_url, server.api_key, server.api_secret)
    window.show()
    window.open_settings()
    settings = window.dialogs.settings_dialog
    assert settings is not None
    page = settings.network
    await until(page.check.isEnabled, what="the saved servers")
    assert page.servers.currentText() == "Test server"
    page.check.click()
    dialog = window.dialogs.network_dialog
    assert dialog is not None
    await until(lambda: dialog.report is not None, deadline_s=40, what="the check to finish")
    assert dialog.report is not None and dialog.report.failed is None
    dialog.close()
    settings.reject()


async def test_the_demo_room_has_no_network_to_check(window: MainWindow) -> None:
    window.show()
    window.start.demo_button.click()
    await until(lambda: window.current_page() is window.prejoin, what="the pre-join page")
    window.prejoin.network_button.click()
    dialog = window.dialogs.network_dialog
    assert dialog is not None
    await until(lambda: "no network to check" in dialog.summary.text(), what="the explanation")
    dialog.close()

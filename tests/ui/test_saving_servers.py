"""Saving a server checks it against the real LiveKit server first, and says what is wrong."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from lkdesk.auth import ApiCredentials, TokenGrants, mint_token
from lkdesk.ui import AppSettings, MainWindow
from tests.integration.livekit_server import LiveKitServer
from tests.ui.helpers import until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"ws://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def _no_device_preview(settings: AppSettings) -> None:
    """These tests are about saving: the pre-join check opens no microphone or camera."""
    settings.set_join_with("mic", False)
    settings.set_join_with("camera", False)


def fill_key_form(window: MainWindow, url: str, key: str, secret: str, name: str) -> None:
    start = window.start
    window.show()
    start.url.setText(url)
    start.tabs.setCurrentIndex(1)
    start.api_key.setText(key)
    start.api_secret.setText(secret)
    start.room.setText("check")
    start.save.setChecked(True)
    start.server_name.setText(name)


async def saved_labels(window: MainWindow) -> list[str]:
    book = window.factory.book
    assert book is not None
    return [p.label for p in await book.profiles()]


async def test_a_good_key_is_checked_saved_under_its_name_and_opens_the_check(
    window: MainWindow, livekit_server: LiveKitServer
) -> None:
    server = livekit_server
    fill_key_form(window, server.ws_url, server.api_key, server.api_secret, "Lab server")
    window.start.continue_button.click()
    await until(
        lambda: window.current_page() is window.prejoin, deadline_s=15, what="the pre-join page"
    )
    assert await saved_labels(window) == ["Lab server"]
    await until(lambda: window.start.profile_list.count() == 1, what="the saved entry")
    text = window.start.profile_list.item(0).text()
    assert "Lab server" in text and server.ws_url in text and f"API key {server.api_key}" in text


async def test_a_wrong_secret_is_named_and_nothing_is_saved(
    window: MainWindow, livekit_server: LiveKitServer
) -> None:
    server = livekit_server
    fill_key_form(window, server.ws_url, server.api_key, "not-the-secret", "Lab")
    window.start.continue_button.click()
    await until(lambda: window.start.key_error.isVisible(), deadline_s=15, what="the error")
    assert "rejected the API key or secret" in window.start.key_error.text()
    assert window.start.api_secret.property("invalid") is True
    assert window.current_page() is window.start
    assert await saved_labels(window) == []


async def test_a_dead_url_is_named_and_nothing_is_saved(window: MainWindow) -> None:
    url = dead_url()
    fill_key_form(window, url, "devkey", "secret", "Nowhere")
    window.start.continue_button.click()
    await until(lambda: window.start.url_error.isVisible(), deadline_s=15, what="the error")
    message = window.start.url_error.text()
    assert message.startswith("Not saved:") and "Cannot reach" in message and url in message
    assert await saved_labels(window) == []


async def test_a_token_from_another_key_is_refused_before_saving(
    window: MainWindow, livekit_server: LiveKitServer
) -> None:
    foreign = ApiCredentials("APIforeign", "a-foreign-secret-that-is-long-enough-for-hs256")
    grants = TokenGrants(room="check", room_join=True)
    made = mint_token(foreign, identity="eve", grants=grants, ttl=timedelta(hours=1))
    start = window.start
    window.show()
    start.url.setText(livekit_server.ws_url)
    start.token.setPlainText(made)
    start.save.setChecked(True)
    start.continue_button.click()
    await until(lambda: start.token_error.isVisible(), deadline_s=15, what="the error")
    assert "rejected the token" in start.token_error.text()
    assert await saved_labels(window) == []


async def test_a_good_token_is_saved_and_shown_with_its_identity(
    window: MainWindow, livekit_server: LiveKitServer
) -> None:
    server = livekit_server
    start = window.start
    window.show()
    start.url.setText(server.ws_url)
    start.token.setPlainText(server.token("maya", "weekly", name="Maya"))
    start.save.setChecked(True)
    start.server_name.setText("")  # no name given: the host stands in
    start.continue_button.click()
    await until(
        lambda: window.current_page() is window.prejoin, deadline_s=15, what="the pre-join page"
    )
    window.back_to_start()
    await until(lambda: start.profile_list.count() == 1, what="the saved entry")
    text = start.profile_list.item(0).text()
    host = server.ws_url.split("//", 1)[1]
    assert text.splitlines()[0] == host and "maya in weekly" in text

"""The start screen explains bad input where it is, and shows what a token says."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from lkdesk.auth import ApiCredentials, TokenGrants, mint_token
from lkdesk.ui import MainWindow
from tests.ui.helpers import until

pytestmark = pytest.mark.asyncio(loop_scope="session")

CREDS = ApiCredentials("APItest", "a-test-secret-that-is-long-enough-for-hs256")


def token(ttl: timedelta = timedelta(hours=2), admin: bool = False) -> str:
    grants = TokenGrants(room="standup", room_join=True, room_admin=admin)
    return mint_token(CREDS, identity="alice", grants=grants, name="Alice", ttl=ttl)


async def test_bad_url_is_explained_under_the_url_field(window: MainWindow) -> None:
    window.show()
    start = window.start
    start.url.setText("localhost:7880")
    start.token.setPlainText(token())
    start.continue_button.click()
    assert start.url_error.isVisible()
    assert "ws://" in start.url_error.text() or "wss://" in start.url_error.text()
    assert start.url.property("invalid") is True
    assert window.current_page() is start

    start.url.setText("")
    start.continue_button.click()
    assert "Enter the server URL" in start.url_error.text()


async def test_token_details_appear_as_the_token_is_pasted(window: MainWindow) -> None:
    window.show()
    start = window.start
    start.token.setPlainText(token(admin=True))
    details = start.token_details.text()
    assert start.token_details.isVisible()
    assert "alice" in details and "standup" in details and "expires in 1 h 59 min" in details
    assert "host" in details

    start.token.setPlainText("not-a-token")
    assert start.token_error.isVisible()
    assert "not a LiveKit token" in start.token_error.text()


async def test_expired_token_is_refused_with_what_to_do(window: MainWindow) -> None:
    window.show()
    start = window.start
    start.url.setText("wss://example.com")
    start.token.setPlainText(token(ttl=timedelta(seconds=1)))
    await asyncio.sleep(1.2)
    start.continue_button.click()
    await until(lambda: start.token_error.isVisible(), what="the expiry message")
    assert "expired" in start.token_error.text() and "new one" in start.token_error.text()
    assert window.current_page() is start


async def test_api_key_form_asks_for_the_missing_secret(window: MainWindow) -> None:
    window.show()
    start = window.start
    start.url.setText("ws://localhost:7880")
    start.tabs.setCurrentIndex(1)
    start.api_key.setText("devkey")
    start.room.setText("standup")
    start.continue_button.click()
    await until(lambda: start.key_error.isVisible(), what="the secret message")
    assert "secret" in start.key_error.text()


async def test_saved_servers_are_listed_and_can_be_forgotten(window: MainWindow) -> None:
    book = window.factory.book
    assert book is not None
    await book.save_api_key("Local", "ws://localhost:7880", "devkey", "secret")
    window.refresh_profiles()
    start = window.start
    await until(lambda: start.profile_list.count() == 1, what="the saved server")
    assert "ws://localhost:7880" in start.profile_list.item(0).text()
    start.profile_list.setCurrentRow(0)
    start.profile_join.click()
    assert "room" in start.profile_error.text()
    start._forget()
    await until(lambda: start.profile_list.count() == 0, what="the server to be forgotten")


async def test_demo_button_leads_to_the_device_check(window: MainWindow) -> None:
    window.show()
    window.start.demo_button.click()
    await until(lambda: window.current_page() is window.prejoin)
    prejoin = window.prejoin
    await until(lambda: prejoin.preview.frame is not None, what="a camera preview")
    await until(lambda: prejoin.meter.level > 0, what="the mic meter to move")
    assert prejoin.name.isEnabled()
    prejoin.camera_button.click()
    assert not prejoin.camera_on and prejoin.preview.frame is None


async def test_a_meeting_link_pasted_as_the_url_opens_the_check_for_its_room(
    window: MainWindow,
) -> None:
    from urllib.parse import quote

    window.show()
    start = window.start
    link = (
        f"https://meet.livekit.io/custom?liveKitUrl={quote('wss://lk.example.com')}&token={token()}"
    )
    start.url.setText(link)
    assert start.connect_card.link_note.isVisible()
    assert "standup" in start.connect_card.link_note.text()
    start.continue_button.click()
    await until(lambda: window.current_page() is window.prejoin, what="the pre-join page")
    assert window.session is not None and window.session.room_name == "standup"
    assert "lk.example.com" in window.prejoin.where.text()


async def test_open_link_from_the_command_line_reports_a_bad_link_on_the_start_page(
    window: MainWindow,
) -> None:
    window.show()
    window.open_link("lkdesk://join?url=ws://localhost:7880")
    await until(lambda: window.start.url_error.isVisible(), what="the link error")
    assert "neither a token nor a room" in window.start.url_error.text()
    assert window.describe()["page"] == "start"


async def test_session_only_secrets_are_described_as_such(window: MainWindow) -> None:
    book = window.factory.book
    assert book is not None
    window.refresh_profiles()
    await until(
        lambda: "session" in window.start.save.toolTip() or "closes" in window.start.save.toolTip(),
        what="the session-only wording",
    )
    assert "kept in your system keyring" not in window.start.empty_profiles.text()
    assert "until lkdesk closes" in window.start.empty_profiles.text()

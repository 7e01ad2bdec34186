"""Trusting a server's CA from the start screen: picked on the connect form, saved with the
server, changed on a saved server; a file that is no certificate is refused where it was
picked. (The file dialog itself is the platform's; the tests hand the picker a path.)"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from lkdesk.auth import ApiCredentials, TokenGrants, mint_token
from lkdesk.ui import MainWindow
from tests.integration.certs import TestCa
from tests.integration.livekit_server import LiveKitServer
from tests.ui.helpers import until

pytestmark = pytest.mark.asyncio(loop_scope="session")

CREDS = ApiCredentials("APItest", "a-test-secret-that-is-long-enough-for-hs256")


def _token() -> str:
    grants = TokenGrants(room="standup", room_join=True)
    return mint_token(CREDS, identity="alice", grants=grants, ttl=timedelta(hours=1))


async def test_a_ca_picked_on_the_connect_form_is_saved_with_the_server(
    window: MainWindow, tmp_path: Path, livekit_server: LiveKitServer
) -> None:
    window.show()
    ca = TestCa(tmp_path / "pki", "Example Private CA")
    start = window.start
    picker = start.connect_card.trusted_ca
    assert "trusted authorities" in picker.summary.text() and not picker.remove.isVisible()

    not_a_cert = tmp_path / "notes.txt"
    not_a_cert.write_text("hello")
    picker.load_file(str(not_a_cert))
    await until(picker.error.isVisible, what="the refusal")
    assert "no PEM certificate" in picker.error.text() and picker.pem == ""

    picker.load_file(str(ca.path))
    await until(lambda: picker.pem != "", what="the CA to be read")
    assert "Also trusts Example Private CA" in picker.summary.text()
    assert picker.remove.isVisible() and not picker.error.isVisible()

    # Saving checks the server first: the real one (over ws://, where the CA is simply kept).
    start.url.setText(livekit_server.ws_url)
    start.token.setPlainText(livekit_server.token("alice", "standup"))
    start.continue_button.click()
    await until(lambda: window.current_page() is window.prejoin, what="the pre-join page")
    book = window.factory.book
    assert book is not None
    (profile,) = await book.profiles()
    assert profile.trusted_ca_pem == ca.pem.strip()


async def test_a_saved_servers_ca_can_be_trusted_and_dropped_from_the_list(
    window: MainWindow, tmp_path: Path
) -> None:
    window.show()
    ca = TestCa(tmp_path / "pki", "Saved Server CA")
    book = window.factory.book
    assert book is not None
    saved = await book.save_api_key("Private", "wss://private.example.org", "key", "secret")
    window.refresh_profiles()
    start = window.start
    await until(lambda: start.profile_list.count() == 1, what="the saved server")
    start.profile_list.setCurrentRow(0)
    assert start.profile_ca.isVisible()

    start.profile_ca.load_file(str(ca.path))
    await until(lambda: "Saved Server CA" in start.profile_ca.summary.text(), what="the CA summary")

    async def stored() -> str:
        (profile,) = await book.profiles()
        assert profile.id == saved.id
        return profile.trusted_ca_pem

    await until(lambda: len(window.runner) == 0, what="the save")
    assert await stored() == ca.pem.strip()

    start.profile_ca.remove.click()
    await until(lambda: len(window.runner) == 0, what="the save")
    assert await stored() == ""
    assert not start.profile_ca.remove.isVisible()

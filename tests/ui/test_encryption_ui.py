"""End-to-end encryption in the window: passphrase fields, the lock, a tile that cannot decrypt.

The last test runs the real window on the real server with official-SDK peers keyed with
the same and with another passphrase (sandbox only).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from livekit import rtc as sdk

from lkdesk.session import JoinOptions, ParticipantState, ProfileBook, SessionState, TileKey
from lkdesk.session.call_encryption import ENCRYPTED_NOTE
from lkdesk.ui import MainWindow
from lkdesk.ui.encryption_controls import PassphraseControls, PassphraseKeeper
from lkdesk.ui.tile import VideoTile
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer
from tests.ui.helpers import join_demo, pixels, until

pytestmark = pytest.mark.asyncio(loop_scope="session")

AMBER = np.array([0xF2, 0xB8, 0x4B])
PASSPHRASE = "two words"


def amber_pixels(widget: Any) -> int:
    return int((np.abs(pixels(widget).astype(int) - AMBER).max(axis=2) < 24).sum())


async def test_pasting_a_link_with_a_passphrase_fills_room_and_passphrase(
    window: MainWindow,
) -> None:
    card = window.start.connect_card
    card.url.setText("lkdesk://join?url=ws://localhost:7880&room=standup#two%20words")
    assert card.room.text() == "standup"
    assert card.passphrase.text() == PASSPHRASE
    assert card.passphrase.echoMode() == card.passphrase.EchoMode.Password
    assert "end-to-end encrypted" in card.link_note.text()


async def test_pre_join_refuses_a_blank_passphrase_and_joins_with_one(window: MainWindow) -> None:
    window.start.demo_button.click()
    await until(lambda: window.current_page() is window.prejoin, what="the pre-join page")
    prejoin = window.prejoin
    asked: list[JoinOptions] = []
    prejoin.join_clicked.connect(asked.append)
    prejoin.encryption.enabled.setChecked(True)
    prejoin.encryption.passphrase.setText("   ")
    prejoin.join_button.click()
    assert asked == [] and prejoin.encryption.error.isVisibleTo(prejoin)
    assert "passphrase" in prejoin.encryption.error.text()
    prejoin.encryption.passphrase.setText(PASSPHRASE)
    prejoin.join_button.click()
    assert [o.passphrase for o in asked] == [PASSPHRASE]
    prejoin.encryption.enabled.setChecked(False)
    assert prejoin.options().passphrase is None
    await until(
        lambda: window.session is not None and window.session.status.state is SessionState.CONNECTED
    )


async def test_lock_in_the_room_header_only_for_an_encrypted_call(window: MainWindow) -> None:
    await join_demo(window)
    lock = window.room.controls.lock
    assert not lock.isVisibleTo(window)
    session = window.session
    assert session is not None
    session.encryption_note = ENCRYPTED_NOTE
    window.room._on_status(session.status)
    assert lock.isVisibleTo(window) and lock.toolTip() == ENCRYPTED_NOTE


async def test_tile_says_it_cannot_decrypt_instead_of_staying_black(qtbot: Any) -> None:
    state = ParticipantState("bob", "Bob", camera_on=True)
    tile = VideoTile(TileKey("bob"), state)
    qtbot.addWidget(tile)
    tile.resize(320, 180)
    assert amber_pixels(tile) == 0
    tile.set_state(ParticipantState("bob", "Bob", camera_on=True, cannot_decrypt=True))
    assert amber_pixels(tile) > 50  # the lock and "Can't decrypt — different passphrase?"


async def test_passphrase_is_kept_with_a_saved_server_only_when_asked(
    qtbot: Any, tmp_path: Path
) -> None:
    book = ProfileBook.session_only(tmp_path)
    profile = await book.save_api_key("Dev", "ws://localhost:7880", "devkey", "secret")
    controls = PassphraseControls()
    qtbot.addWidget(controls)
    keeper = PassphraseKeeper(book)
    await keeper.offer(controls, profile.id, from_link=PASSPHRASE)
    assert controls.value() == PASSPHRASE and not controls.remember.isChecked()
    await keeper.keep(controls)
    assert await book.passphrase(profile.id) == ""  # not asked: not kept
    controls.remember.setChecked(True)
    await keeper.keep(controls)
    assert await book.passphrase(profile.id) == PASSPHRASE
    await keeper.offer(controls, profile.id, from_link="")
    assert controls.value() == PASSPHRASE and controls.remember.isChecked()
    controls.remember.setChecked(False)
    await keeper.keep(controls)
    assert await book.passphrase(profile.id) == ""
    await keeper.offer(controls, "", from_link="")  # no saved server: nothing to remember
    assert controls.value() is None and not controls.remember.isVisibleTo(controls)


@pytest.mark.integration
async def test_encrypted_link_joins_encrypted_and_a_stranger_tile_says_it_cannot_decrypt(
    window: MainWindow, livekit_server: LiveKitServer, room_name: str
) -> None:
    from lkdesk.session import make_link

    server = livekit_server

    def keyed(passphrase: str) -> sdk.E2EEOptions:
        keys = sdk.KeyProviderOptions(
            shared_key=passphrase.encode(), ratchet_window_size=0, failure_tolerance=10
        )
        return sdk.E2EEOptions(key_provider_options=keys)

    ada = SdkPeer(
        server.ws_url, server.token("ada", room_name, name="Ada"), encryption=keyed(PASSPHRASE)
    )
    bob = SdkPeer(server.ws_url, server.token("bob", room_name, name="Bob"), encryption=keyed("x"))
    try:
        for peer, colour in ((ada, (30, 200, 70)), (bob, (200, 40, 40))):
            await peer.connect()
            await peer.publish_video(color=colour)
        window.resize(1280, 800)  # narrower than 820 px the header hides the title and lock
        window.show()
        link = make_link(server.ws_url, server.token("me", room_name)) + "#two%20words"
        window.open_link(link)
        await until(lambda: window.current_page() is window.prejoin, what="the pre-join page")
        assert window.prejoin.encryption.value() == PASSPHRASE
        window.prejoin.join_button.click()
        await until(
            lambda: (
                window.session is not None and window.session.status.state is SessionState.CONNECTED
            ),
            deadline_s=30,
            what="the encrypted join",
        )
        assert window.room.controls.lock.isVisibleTo(window)
        tiles = window.room.area.tiles
        await until(
            lambda: TileKey("ada") in tiles and tiles[TileKey("ada")].frame is not None,
            deadline_s=20,
            what="Ada's decrypted video",
        )
        await until(
            lambda: TileKey("bob") in tiles and tiles[TileKey("bob")].state.cannot_decrypt,
            deadline_s=20,
            what="Bob's tile to say it cannot decrypt",
        )
        assert amber_pixels(tiles[TileKey("bob")]) > 50 and amber_pixels(tiles[TileKey("ada")]) == 0
    finally:
        await ada.aclose()
        await bob.aclose()
    await asyncio.sleep(0)

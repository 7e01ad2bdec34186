"""An end-to-end encrypted call at the session layer: what the UI is told.

A blank passphrase is refused before anything connects. On the real server, a participant
with the same passphrase is seen, one with another passphrase is marked "cannot decrypt",
and chat sent in clear into the encrypted room is announced.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from livekit import rtc as sdk

from lkdesk.session import InvalidTargetError, JoinOptions, Notice, SessionState, TileKey
from lkdesk.session.call import CallSession
from lkdesk.session.call_encryption import ENCRYPTED_NOTE
from lkdesk.session.targets import Credentials
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import eventually
from tests.integration.peers import SdkPeer

PASSPHRASE = "session passphrase"
GREEN = (30, 200, 70)


def _credentials(url: str, token: str, room: str) -> Credentials:
    return Credentials(
        url=url, token=token, room=room, identity="me", name="Me", name_editable=False, admin=None
    )


def _sdk_keys(passphrase: str) -> sdk.E2EEOptions:
    keys = sdk.KeyProviderOptions(
        shared_key=passphrase.encode(), ratchet_window_size=0, failure_tolerance=10
    )
    return sdk.E2EEOptions(key_provider_options=keys)


async def _until(condition: Callable[[], bool], what: str, deadline_s: float = 20.0) -> None:
    try:
        await eventually(condition, deadline_s)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


@pytest.mark.parametrize("blank", ["", "   "])
async def test_blank_passphrase_is_refused_before_connecting(blank: str) -> None:
    session = CallSession(_credentials("ws://127.0.0.1:9", "t", "r"))
    try:
        with pytest.raises(InvalidTargetError, match="passphrase") as caught:
            await session.join(JoinOptions("Me", False, False, passphrase=blank))
        assert caught.value.field == "passphrase"
        assert session.status.state is SessionState.IDLE and session.encryption_note == ""
    finally:
        await session.aclose()


@pytest.mark.integration
async def test_encrypted_call_shows_whom_it_cannot_decrypt_and_who_chats_in_clear(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    ada = SdkPeer(
        server.ws_url, server.token("ada", room_name, name="Ada"), encryption=_sdk_keys(PASSPHRASE)
    )
    bob = SdkPeer(
        server.ws_url, server.token("bob", room_name, name="Bob"), encryption=_sdk_keys("other")
    )
    carol = SdkPeer(server.ws_url, server.token("carol", room_name, name="Carol"))
    session = CallSession(
        _credentials(server.ws_url, server.token("me", room_name, name="Me"), room_name)
    )
    frames: list[np.ndarray] = []
    notices: list[Notice] = []
    session.events.on(
        "video_frame", lambda key, frame: frames.append(frame) if key == TileKey("ada") else None
    )
    session.events.on("notice", notices.append)
    try:
        for peer, colour in ((ada, GREEN), (bob, (200, 40, 40))):
            await peer.connect()
            await peer.publish_video(color=colour)
        await carol.connect()
        await session.refresh_devices()
        await session.join(JoinOptions("Me", False, False, passphrase=PASSPHRASE))
        assert session.encryption_note == ENCRYPTED_NOTE
        await _until(lambda: len(frames) >= 5, "Ada's decrypted video")
        rgb = frames[-1][:100, :, 2::-1]  # the session delivers BGRA
        assert np.abs(rgb.reshape(-1, 3).mean(axis=0) - GREEN).max() < 30
        await _until(
            lambda: (p := session.participant("bob")) is not None and p.cannot_decrypt,
            "Bob marked as undecryptable",
        )
        ada_state = session.participant("ada")
        assert ada_state is not None and not ada_state.cannot_decrypt
        await carol.room.local_participant.send_text("plain words", topic="lk.chat")
        await _until(lambda: any("Carol" in n.text for n in notices), "the clear-chat notice")
        await _until(lambda: len(session.chat_history) == 1, "Carol's message in the history")
    finally:
        await session.aclose()
        for peer in (ada, bob, carol):
            await peer.aclose()

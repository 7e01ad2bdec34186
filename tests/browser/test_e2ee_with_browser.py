"""lkdesk in an end-to-end encrypted room with livekit-client, keyed as LiveKit Meet keys it.

The browser uses ``ExternalE2EEKeyProvider`` with ``setKey(passphrase)`` and the e2ee worker
(what Meet does with a ``#passphrase`` link) and publishes VP8. Both sides check content.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from lkdesk import rtc
from lkdesk.rtc.e2ee import passphrase_options
from tests.browser.browser_peer import chat_texts, remote_tracks, track_owner
from tests.browser.conftest import BrowserPeerFactory
from tests.integration.analysis import dominant_frequency, mean_color
from tests.integration.e2ee_call import LK_TONE, ORANGE, lkdesk_publishing
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, eventually, sample_audio, sample_video

pytestmark = pytest.mark.integration

PASSPHRASE = "meet passphrase ✓ with spaces"
BLUE = (0, 0, 255)
BROWSER_TONE = 660.0


@contextlib.asynccontextmanager
async def keyed_call(
    factory: BrowserPeerFactory, server: LiveKitServer, room: str, **join: Any
) -> AsyncIterator[tuple[Any, LkdeskPeer]]:
    """A browser keyed with the passphrase as Meet keys it (``join`` as peer.js takes it)
    and lkdesk joined with the same passphrase; lkdesk leaves at the end."""
    browser = await factory("meet")
    await browser.join(server.ws_url, server.token("meet", room), e2eePassphrase=PASSPHRASE, **join)
    lk = LkdeskPeer()
    try:
        await lk.connect(
            server.ws_url, server.token("lkdesk", room), encryption=passphrase_options(PASSPHRASE)
        )
        yield browser, lk
    finally:
        await lk.aclose()


def _close(rgb: object, expected: tuple[int, int, int]) -> bool:
    return (
        isinstance(rgb, list) and max(abs(a - b) for a, b in zip(rgb, expected, strict=True)) < 40
    )


def _center(frame):  # type: ignore[no-untyped-def]
    h, w = frame.shape[:2]
    return frame[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]


def _browser_sees(state: dict, kind: str, check) -> bool:  # type: ignore[no-untyped-def,type-arg]
    return any(
        track_owner(state, t["sid"]) == "lkdesk" and check(t) for t in remote_tracks(state, kind)
    )


async def test_meet_keyed_browser_and_lkdesk_see_hear_and_chat_encrypted(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    async with keyed_call(
        browser_peer_factory,
        livekit_server,
        room_name,
        vp9_with_vp8_backup=False,
        videoCodec="vp8",
        simulcast=True,
        red=False,
        color=BLUE,
        tone_hz=BROWSER_TONE,
    ) as (browser, lk):
        chat = rtc.Chat(lk.room)
        async with lkdesk_publishing(lk):
            # lkdesk sees and hears the browser
            video = await lk.subscribed("meet", rtc.TrackKind.KIND_VIDEO, deadline_s=20)
            frames = await sample_video(video, frames=15, deadline_s=20)
            color = mean_color(_center(frames[-1]))
            assert max(abs(c - e) for c, e in zip(color, BLUE, strict=True)) < 40, color
            audio = await lk.subscribed("meet", rtc.TrackKind.KIND_AUDIO)
            freq = dominant_frequency(await sample_audio(audio, seconds=1.5), 48_000)
            assert abs(freq - BROWSER_TONE) / BROWSER_TONE < 0.02, freq
            # the browser sees and hears lkdesk
            state = await browser.wait_for(
                lambda s: (
                    _browser_sees(
                        s, "video", lambda t: _close((t.get("color") or {}).get("rgb"), ORANGE)
                    )
                    and _browser_sees(
                        s, "audio", lambda t: t.get("hz") and abs(t["hz"] - LK_TONE) < 15
                    )
                ),
                30,
                consecutive=2,
                what="lkdesk's orange and 750 Hz",
            )
            assert state["e2ee"]["enabled"] and state["e2ee"]["status"].get("lkdesk") is True
            await lk.wait_for(
                "participant_encryption_status_changed",
                lambda p, encrypted: p.identity == "meet" and encrypted,
            )
            # chat both ways, encrypted both ways
            received: list[rtc.ChatMessage] = []
            chat.on("message_received", received.append)
            await browser.send_chat("from the browser, encrypted")
            await eventually(lambda: bool(received))
            assert [(m.sender_identity, m.message) for m in received] == [
                ("meet", "from the browser, encrypted")
            ]
            sent = await chat.send("from lkdesk, encrypted")
            assert sent.state == rtc.DeliveryState.SENT
            await browser.wait_for(
                lambda s: "from lkdesk, encrypted" in chat_texts(s, sender="lkdesk"), 15
            )
            crypto = lk.room._encryption.data
            assert crypto is not None and crypto.sealed > 0 and crypto.opened > 0
            assert not crypto.dropped
            decrypting = [c for c in lk.room.e2ee_manager.frame_cryptors() if not c.sending]
            assert decrypting and all(c.stats.decrypted > 0 for c in decrypting)


async def test_chat_with_a_browser_keyed_as_meet_does_it_and_its_clear_chat_is_flagged(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    """LiveKit Meet passes ``e2ee`` (not ``encryption``): it encrypts media only, sends chat in
    clear and still decrypts encrypted chat. lkdesk reads both and says the clear one is."""
    async with keyed_call(
        browser_peer_factory,
        livekit_server,
        room_name,
        publish_video=False,
        publish_audio=False,
        e2eeMode="e2ee",
    ) as (browser, lk):
        chat = rtc.Chat(lk.room)
        received: list[rtc.ChatMessage] = []
        chat.on("message_received", received.append)
        await eventually(lambda: "meet" in lk.room.remote_participants)
        await browser.send_chat("sent by Meet in clear")
        await eventually(lambda: bool(received))
        assert received[0].message == "sent by Meet in clear"
        _, (participant,) = await lk.wait_for("unencrypted_data_received")
        assert participant.identity == "meet"
        await chat.send("encrypted by lkdesk")
        await browser.wait_for(
            lambda s: "encrypted by lkdesk" in chat_texts(s, sender="lkdesk"), 15
        )
        crypto = lk.room._encryption.data
        assert crypto is not None and crypto.sealed > 0


async def test_meet_default_vp9_svc_without_backup_decrypts_in_lkdesk(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    """Meet publishes VP9 (L3T3_KEY) by default; encrypted and without a VP8 backup, lkdesk
    decrypts each layer frame on its own (livekit-client's worker seals them separately,
    keeping no clear bytes for VP9) and decodes the browser's blue."""
    async with keyed_call(
        browser_peer_factory,
        livekit_server,
        room_name,
        vp9_with_vp8_backup=False,
        videoCodec="vp9",
        simulcast=False,
        red=False,
        color=BLUE,
        tone_hz=BROWSER_TONE,
    ) as (_browser, lk):
        video = await lk.subscribed("meet", rtc.TrackKind.KIND_VIDEO, deadline_s=20)
        publication = next(
            p
            for p in lk.room.remote_participants["meet"].track_publications.values()
            if p.kind == rtc.TrackKind.KIND_VIDEO
        )
        assert "vp9" in publication.mime_type.lower(), publication.mime_type
        frames = await sample_video(video, frames=15, deadline_s=20)
        color = mean_color(_center(frames[-1]))
        assert max(abs(c - e) for c, e in zip(color, BLUE, strict=True)) < 40, color
        (cryptor,) = [
            c for c in lk.room.e2ee_manager.frame_cryptors() if c.track_sid == publication.sid
        ]
        assert cryptor.stats.decrypted >= 15, cryptor.stats
        assert cryptor.stats.dropped_total <= 3, cryptor.stats  # at most while starting up

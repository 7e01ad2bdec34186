"""The browser test peer works: two livekit-client peers in headless Chromium on the real server.

One publishes with LiveKit Meet's camera settings (VP9 + VP8 backup, simulcast, dynacast,
adaptive stream), the other plain VP8. Each must see the other's colour and tone, and chat
sent by one must arrive at the other with the exact text.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from livekit import rtc

from tests.browser.browser_peer import BrowserPeer, State, chat_texts, remote_tracks, track_owner
from tests.browser.conftest import BrowserPeerFactory
from tests.integration.analysis import content_region, dominant_frequency, mean_color, rms_db
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer

_log = logging.getLogger(__name__)

COLOR_TOLERANCE = 24  # per channel, 0..255: YUV 4:2:0 round trip plus codec loss
FREQ_TOLERANCE = 0.02  # relative
MIN_TONE_DBFS = -30.0  # the tone is published at amplitude 0.3, about -13.5 dBFS RMS
MEDIA_TIMEOUT_S = 45.0
CHAT_TIMEOUT_S = 15.0

BLUE = (0, 0, 255)
ORANGE = (240, 120, 20)


def _colour_close(measured: list[int], expected: tuple[int, int, int]) -> bool:
    return all(abs(m - e) <= COLOR_TOLERANCE for m, e in zip(measured, expected, strict=True))


def _tracks_from(state: State, sender: str, kind: str) -> list[dict[str, Any]]:
    return [t for t in remote_tracks(state, kind) if track_owner(state, t["sid"]) == sender]


def _sees_colour(state: State, sender: str, colour: tuple[int, int, int]) -> bool:
    return any(
        t.get("color") and _colour_close(t["color"]["rgb"], colour)
        for t in _tracks_from(state, sender, "video")
    )


def _hears_tone(state: State, sender: str, hz: float) -> bool:
    return any(
        t.get("hz") is not None
        and abs(t["hz"] - hz) <= FREQ_TOLERANCE * hz
        and t.get("rmsDb", -120.0) > MIN_TONE_DBFS
        for t in _tracks_from(state, sender, "audio")
    )


async def _expect_media(
    viewer: BrowserPeer, sender: str, colour: tuple[int, int, int], hz: float
) -> State:
    state = await viewer.wait_for(
        lambda s: _sees_colour(s, sender, colour) and _hears_tone(s, sender, hz),
        MEDIA_TIMEOUT_S,
        consecutive=3,  # the first ~0.5 s of a tone is shifted by the jitter buffer's start-up
        what=f"{sender}'s colour {colour} and tone {hz} Hz",
    )
    for track in _tracks_from(state, sender, "video") + _tracks_from(state, sender, "audio"):
        _log.info(
            "%s receives %s %s: mime %s / stats %s, colour %s, tone %s Hz (RMS %s dBFS)",
            viewer.name,
            sender,
            track["kind"],
            next(
                (
                    t["mimeType"]
                    for p in state["participants"]
                    for t in p["tracks"]
                    if t["sid"] == track["sid"]
                ),
                None,
            ),
            track.get("statsMimeType"),
            (track.get("color") or {}).get("rgb"),
            track.get("hz"),
            track.get("rmsDb"),
        )
    return state


async def test_two_browser_peers_see_colour_tone_and_chat(
    livekit_server: LiveKitServer,
    room_name: str,
    browser_peer_factory: BrowserPeerFactory,
) -> None:
    alice = await browser_peer_factory("alice")
    bob = await browser_peer_factory("bob")

    joined_a = await alice.join(
        livekit_server.ws_url,
        livekit_server.token("alice", room_name),
        vp9_with_vp8_backup=True,
        color=BLUE,
        tone_hz=660,
    )
    joined_b = await bob.join(
        livekit_server.ws_url,
        livekit_server.token("bob", room_name),
        vp9_with_vp8_backup=False,
        simulcast=False,
        color=ORANGE,
        tone_hz=440,
    )
    assert joined_a["identity"] == "alice"
    assert joined_b["identity"] == "bob"

    # media, both ways
    bob_view = await _expect_media(bob, "alice", BLUE, 660)
    alice_view = await _expect_media(alice, "bob", ORANGE, 440)
    (alice_video,) = _tracks_from(bob_view, "alice", "video")
    (bob_video,) = _tracks_from(alice_view, "bob", "video")
    assert alice_video["statsMimeType"] == "video/VP9"
    assert bob_video["statsMimeType"] == "video/VP8"

    # what each actually sent, from the sender's own getStats()
    alice_state = await alice.state()
    bob_state = await bob.state()
    assert "video/VP9" in alice_state["sentVideoMimeTypes"]
    assert bob_state["sentVideoMimeTypes"] == ["video/VP8"]
    for name, state in (("alice", alice_state), ("bob", bob_state)):
        _log.info(
            "%s: pc mode %s, sent video %s, local %s",
            name,
            json.dumps(state["pcMode"]),
            state["sentVideoMimeTypes"],
            json.dumps([{k: v for k, v in t.items() if k != "outbound"} for t in state["local"]]),
        )

    # chat, both ways, exact text, exactly once
    text_a = "hello from alice: ünïcödé ✓ 🚀 <b>not html</b>"
    text_b = "bob here\nsecond line\ttab"
    await alice.send_chat(text_a)
    await bob.send_chat(text_b)
    bob_chat = await bob.wait_for(
        lambda s: bool(chat_texts(s, sender="alice")), CHAT_TIMEOUT_S, what="alice's chat"
    )
    alice_chat = await alice.wait_for(
        lambda s: bool(chat_texts(s, sender="bob")), CHAT_TIMEOUT_S, what="bob's chat"
    )
    assert chat_texts(bob_chat, sender="alice") == [text_a]
    assert chat_texts(alice_chat, sender="bob") == [text_b]

    # the legacy packet on lk-chat-topic arrives too when asked for
    await alice.send_chat("legacy hello", legacy=True)
    legacy = await bob.wait_for(
        lambda s: bool(chat_texts(s, sender="alice", via="lk-chat-topic")),
        CHAT_TIMEOUT_S,
        what="alice's legacy chat",
    )
    assert chat_texts(legacy, sender="alice", via="lk-chat-topic") == ["legacy hello"]

    await alice.leave()
    await bob.wait_for(
        lambda s: all(p["identity"] != "alice" for p in s["participants"]),
        CHAT_TIMEOUT_S,
        what="alice to leave",
    )


async def test_dual_peer_connection_mode_is_selectable(
    livekit_server: LiveKitServer,
    room_name: str,
    browser_peer_factory: BrowserPeerFactory,
) -> None:
    alice = await browser_peer_factory("alice")
    bob = await browser_peer_factory("bob")
    joined = await alice.join(
        livekit_server.ws_url,
        livekit_server.token("alice", room_name),
        single_peer_connection=False,
        color=BLUE,
        tone_hz=660,
    )
    await bob.join(
        livekit_server.ws_url,
        livekit_server.token("bob", room_name),
        publish_video=False,
        publish_audio=False,
    )
    await _expect_media(bob, "alice", BLUE, 660)
    alice_state = await alice.state()
    _log.info("dual-PC alice: %s", json.dumps(alice_state["pcMode"]))
    assert joined["pcMode"]["singlePeerConnectionOption"] is False
    assert alice_state["pcMode"]["singlePeerConnection"] is False
    assert alice_state["pcMode"]["peerConnectionsOpen"] == 2
    bob_state = await bob.state()
    assert bob_state["pcMode"]["singlePeerConnection"] is True  # the SDK default


async def test_browser_and_official_python_sdk_exchange_media_and_chat(
    livekit_server: LiveKitServer,
    room_name: str,
    browser_peer_factory: BrowserPeerFactory,
) -> None:
    green = (20, 200, 60)
    browser = await browser_peer_factory("web")
    await browser.join(
        livekit_server.ws_url, livekit_server.token("web", room_name), color=BLUE, tone_hz=660
    )
    async with SdkPeer(
        livekit_server.ws_url,
        livekit_server.token("py", room_name),
        ice_servers=[livekit_server.stun_url],
    ) as py:
        py_chat: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

        async def read_chat(reader: rtc.TextStreamReader, identity: str) -> None:
            await py_chat.put((identity, await reader.read_all()))

        readers: set[asyncio.Task[None]] = set()

        def on_chat(reader: rtc.TextStreamReader, identity: str) -> None:
            task = asyncio.create_task(read_chat(reader, identity))
            readers.add(task)
            task.add_done_callback(readers.discard)

        py.room.register_text_stream_handler("lk.chat", on_chat)
        await py.publish_video(color=green)
        await py.publish_tone(880)

        # browser -> Python SDK
        async with asyncio.timeout(MEDIA_TIMEOUT_S):
            video = await py.subscribed_track("web", "camera")
            audio = await py.subscribed_track("web", "microphone")
            frames = await py.collect_video(video, frames=5)
            # the SDK's audio stream yields silence until the first packets are decoded
            while rms_db(await py.collect_audio(audio, seconds=0.25)) < MIN_TONE_DBFS:
                pass
            samples = await py.collect_audio(audio, seconds=1.0)
        last = frames[-1].rgb
        height, width = last.shape[:2]
        colour = mean_color(last, content_region(width, height))
        hz = dominant_frequency(samples, 48_000)
        pub = next(
            p
            for p in py.room.remote_participants["web"].track_publications.values()
            if p.kind == rtc.TrackKind.KIND_VIDEO
        )
        _log.info(
            "python sdk receives web video %s %dx%d colour %s, tone %.1f Hz at %.1f dBFS",
            pub.mime_type,
            width,
            height,
            [round(c) for c in colour],
            hz,
            rms_db(samples),
        )
        assert _colour_close([round(c) for c in colour], BLUE)
        assert abs(hz - 660) <= FREQ_TOLERANCE * 660
        assert rms_db(samples) > MIN_TONE_DBFS

        # Python SDK -> browser
        await _expect_media(browser, "py", green, 880)

        # chat both ways
        text_web = "from the browser ✓ ünïcödé"
        text_py = "from python 🐍 with\nnewline"
        await browser.send_chat(text_web)
        async with asyncio.timeout(CHAT_TIMEOUT_S):
            assert await py_chat.get() == ("web", text_web)
        await py.room.local_participant.send_text(text_py, topic="lk.chat")
        state = await browser.wait_for(
            lambda s: bool(chat_texts(s, sender="py")), CHAT_TIMEOUT_S, what="py's chat"
        )
        assert chat_texts(state, sender="py") == [text_py]

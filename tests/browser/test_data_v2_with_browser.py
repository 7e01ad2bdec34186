"""Client protocol 2 with livekit-client in Chromium: data streams v2, RPC v2, v1 fallback.

Content is checked by length and SHA-256 on both sides; the wire format by lkdesk's
``PacketTap``. The browser joins with its defaults (single peer connection over /rtc/v1),
which is where livekit-client announces ``CAP_COMPRESSION_DEFLATE_RAW``. The v1-only peer is
lkdesk joined with client protocol 0 (see tests/integration/test_rtc_data_v2.py for why
that is faithful).
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from livekit.protocol import models as proto_models

from lkdesk import rtc
from tests.browser.browser_peer import BrowserPeer
from tests.browser.conftest import BrowserPeerFactory
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, PacketTap
from tests.integration.test_rtc_data_v2 import digest, headers, lk_text_inbox, prose

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)

DEFLATE = proto_models.DataStream.DEFLATE_RAW
CAP_DEFLATE = proto_models.ClientInfo.Capability.CAP_COMPRESSION_DEFLATE_RAW


async def browser_in_room(
    factory: BrowserPeerFactory, server: LiveKitServer, room: str, identity: str = "web"
) -> BrowserPeer:
    browser = await factory(identity)
    await browser.join(
        server.ws_url, server.token(identity, room), publish_video=False, publish_audio=False
    )
    return browser


async def texts(browser: BrowserPeer, topic: str, count: int) -> list[dict[str, object]]:
    """The first ``count`` texts the browser received on ``topic`` (waits up to 30 s)."""
    for _ in range(300):
        got: list[dict[str, object]] = await browser.call("receivedTexts", topic=topic)
        if len(got) >= count:
            return got
        await asyncio.sleep(0.1)
    raise AssertionError(f"the browser received {got} on {topic!r}, wanted {count} texts")


async def test_inline_and_deflated_texts_go_both_ways_with_a_browser(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    browser = await browser_in_room(browser_peer_factory, livekit_server, room_name)
    lk = LkdeskPeer()
    try:
        await lk.connect(livekit_server.ws_url, livekit_server.token("lkdesk", room_name))
        await lk.wait_until(lambda: "web" in lk.room.remote_participants)
        info = lk.room.remote_participants["web"].info
        assert info.client_protocol == 2 and CAP_DEFLATE in info.capabilities
        await browser.wait_for(lambda s: any(p["identity"] == "lkdesk" for p in s["participants"]))
        tap = PacketTap(lk.room)
        await browser.call("watchText", topic="t")
        inbox = lk_text_inbox(lk, "t")
        text = prose(500_000)

        async with asyncio.timeout(60):
            await lk.room.local_participant.send_text("abc", topic="t")
            await lk.room.local_participant.send_text(text, topic="t")
            small, big = await texts(browser, "t", 2)
            assert (small["text"], small["from"]) == ("abc", "lkdesk")
            assert (big["sha256"], big["length"]) == (digest(text), len(text))
            inline, deflated = headers(PacketTap.stream_packets(tap.sent, "t"))
            assert inline.inline_content == b"abc"
            assert deflated.compression == DEFLATE and not deflated.HasField("inline_content")

            await browser.call("sendText", text="xyz", options={"topic": "t"})
            await browser.call("sendText", text=text, options={"topic": "t"})
            assert await inbox.get() == ("xyz", "web")
            got, sender = await inbox.get()
            assert (digest(got), sender) == (digest(text), "web")
            inline, deflated = headers(PacketTap.stream_packets(tap.received, "t"))
            assert inline.inline_content == b"xyz"
            assert deflated.compression == DEFLATE
    finally:
        await lk.aclose()


async def test_rpc_with_a_1_mb_payload_goes_both_ways_with_a_browser(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    browser = await browser_in_room(browser_peer_factory, livekit_server, room_name)
    lk = LkdeskPeer()
    try:
        await lk.connect(livekit_server.ws_url, livekit_server.token("lkdesk", room_name))
        await lk.wait_until(lambda: "web" in lk.room.remote_participants)
        await browser.wait_for(lambda s: any(p["identity"] == "lkdesk" for p in s["participants"]))
        tap = PacketTap(lk.room)
        await browser.call("registerDigestRpc")
        local = lk.room.local_participant

        @local.register_rpc_method("digest")
        async def answer(data: rtc.RpcInvocationData) -> str:
            return f"{digest(data.payload)}:{data.payload.upper()}"

        payload = prose(1_000_000, seed=2)
        expected = f"{digest(payload)}:{payload.upper()}"
        async with asyncio.timeout(90):
            loop = asyncio.get_running_loop()
            started = loop.time()
            reply = await local.perform_rpc(
                destination_identity="web", method="digest", payload=payload, response_timeout=30
            )
            log.warning("RPC 1 MB lkdesk → browser: %.0f ms", (loop.time() - started) * 1000)
            assert digest(reply) == digest(expected)
            [request] = headers(PacketTap.stream_packets(tap.sent, "lk.rpc_request"))
            assert request.compression == DEFLATE
            assert headers(PacketTap.stream_packets(tap.received, "lk.rpc_response"))

            result = await browser.call(
                "performRpc", destination="lkdesk", method="digest", payload=payload
            )
            assert result["ok"], result
            log.warning("RPC 1 MB browser → lkdesk: %.0f ms", result["ms"])
            assert (result["sha256"], result["length"]) == (digest(expected), len(expected))
            [reply_header] = headers(PacketTap.stream_packets(tap.sent, "lk.rpc_response"))
            assert reply_header.compression == DEFLATE
            assert not [p for p in tap.sent + tap.received if p.HasField("rpc_request")]
    finally:
        await lk.aclose()


async def test_a_v1_only_peer_is_still_served_by_lkdesk_and_a_browser(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    browser = await browser_in_room(browser_peer_factory, livekit_server, room_name)
    lk = LkdeskPeer()
    old = LkdeskPeer()
    try:
        await lk.connect(livekit_server.ws_url, livekit_server.token("lkdesk", room_name))
        await old.connect(
            livekit_server.ws_url, livekit_server.token("old", room_name), client_protocol=0
        )
        await lk.wait_until(lambda: {"web", "old"} <= set(lk.room.remote_participants))
        await old.wait_until(lambda: "web" in old.room.remote_participants)
        await browser.wait_for(
            lambda s: {"lkdesk", "old"} <= {p["identity"] for p in s["participants"]}
        )
        features = await browser.call("remoteFeatures")
        assert features["old"]["clientProtocol"] == 0
        tap = PacketTap(old.room)
        inbox = lk_text_inbox(old, "t")

        @old.room.local_participant.register_rpc_method("len")
        async def length(data: rtc.RpcInvocationData) -> str:
            return f"{data.caller_identity}:{len(data.payload)}"

        await browser.call("watchText", topic="t")
        await browser.call("registerDigestRpc")
        async with asyncio.timeout(60):
            await browser.call(
                "sendText", text="abc", options={"topic": "t", "destinationIdentities": ["old"]}
            )
            assert await inbox.get() == ("abc", "web")
            [header] = headers(PacketTap.stream_packets(tap.received, "t"))
            assert not header.HasField("inline_content") and header.compression == 0

            result = await browser.call(
                "performRpc", destination="old", method="len", payload="é" * 1000
            )
            assert (result["ok"], result["text"]) == (True, "web:1000")
            big = await browser.call(
                "performRpc", destination="old", method="len", payload="x" * 20_000
            )
            assert (big["ok"], big["code"]) == (
                False,
                rtc.RpcError.ErrorCode.REQUEST_PAYLOAD_TOO_LARGE,
            )
            assert [p.rpc_request.version for p in tap.received if p.HasField("rpc_request")] == [1]

            # the old peer calls the browser with v1 and gets a v1 answer packet
            reply = await old.room.local_participant.perform_rpc(
                destination_identity="web", method="digest", payload="hi"
            )
            assert reply == f"{digest('hi')}:HI"
            assert [p.rpc_request.version for p in tap.sent if p.HasField("rpc_request")] == [1]
            assert [p.rpc_response.payload for p in tap.received if p.HasField("rpc_response")] == [
                reply
            ]

            # a broadcast from lkdesk with the old peer present goes v1 to the browser too
            lk_tap = PacketTap(lk.room)
            await lk.room.local_participant.send_text("to all", topic="t")
            received = await texts(browser, "t", 1)
            assert [(t["text"], t["from"]) for t in received] == [("to all", "lkdesk")]
            assert await inbox.get() == ("to all", "lkdesk")
            assert PacketTap.kinds(PacketTap.stream_packets(lk_tap.sent, "t")) == [
                "stream_header",
                "stream_chunk",
                "stream_trailer",
            ]
    finally:
        await old.aclose()
        await lk.aclose()

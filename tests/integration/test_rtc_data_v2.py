"""Client protocol 2 with the official Python SDK: data streams v2 and RPC v2, and v1 fallback.

Peers decode every format alike, so each test checks two things: the content arrived
intact (text and SHA-256), and the wire format was the expected one (``PacketTap`` records
lkdesk's packets). The "v1-only peer" is lkdesk joined with client protocol 0: the server
copies that number (and no deflate capability) into its ``ParticipantInfo``, which is all a
sender decides on, and lkdesk then sends only v1 formats itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from livekit import rtc as sdk
from livekit.protocol import models as proto_models

from lkdesk import rtc
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, PacketTap, eventually
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)

DEFLATE = proto_models.DataStream.DEFLATE_RAW
WORDS = [
    *("room", "track", "audio", "video", "camera", "screen", "share", "chat", "message"),
    *("participant", "speaker", "agent", "network", "packet", "stream", "deflate", "inline"),
    *("header", "chunk", "trailer", "protocol", "server", "client"),
]


def prose(size: int, seed: int = 16) -> str:
    """About ``size`` bytes of word soup with numbers: compresses about 3:1, like chat logs."""
    rng = random.Random(seed)
    parts: list[str] = []
    length = 0
    while length < size:
        word = f"{rng.choice(WORDS)}{rng.randrange(1000)} é "
        parts.append(word)
        length += len(word.encode())
    return "".join(parts)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def headers(packets: list[proto_models.DataPacket]) -> list[proto_models.DataStream.Header]:
    return [p.stream_header for p in packets if p.WhichOneof("value") == "stream_header"]


@pytest.fixture
async def pair(livekit_server: LiveKitServer, room_name: str) -> AsyncIterator[tuple[Any, Any]]:
    lk = LkdeskPeer()
    peer = SdkPeer(livekit_server.ws_url, livekit_server.token("sdk", room_name))
    await peer.connect()
    await lk.connect(livekit_server.ws_url, livekit_server.token("lkdesk", room_name))
    await lk.wait_until(lambda: "sdk" in lk.room.remote_participants)
    await eventually(lambda: "lkdesk" in peer.room.remote_participants)
    try:
        yield lk, peer
    finally:
        await lk.aclose()
        await peer.aclose()


def sdk_text_inbox(peer: SdkPeer, topic: str) -> asyncio.Queue[tuple[str, str]]:
    inbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    async def read(reader: sdk.TextStreamReader, identity: str) -> None:
        inbox.put_nowait((await reader.read_all(), identity))

    peer.room.register_text_stream_handler(topic, lambda r, i: asyncio.ensure_future(read(r, i)))
    return inbox


def lk_text_inbox(lk: LkdeskPeer, topic: str) -> asyncio.Queue[tuple[str, str]]:
    inbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    async def read(reader: rtc.TextStreamReader, identity: str) -> None:
        inbox.put_nowait((await reader.read_all(), identity))

    lk.room.register_text_stream_handler(topic, read)
    return inbox


async def test_a_three_byte_text_travels_inline_both_ways_with_the_sdk(pair: Any) -> None:
    lk, peer = pair
    tap = PacketTap(lk.room)
    at_sdk, at_lk = sdk_text_inbox(peer, "t"), lk_text_inbox(lk, "t")
    async with asyncio.timeout(20):
        await lk.room.local_participant.send_text("abc", topic="t")
        assert await at_sdk.get() == ("abc", "lkdesk")
        sent = PacketTap.stream_packets(tap.sent, "t")
        assert PacketTap.kinds(sent) == ["stream_header"]  # no chunk, no trailer
        [header] = headers(sent)
        assert header.inline_content == b"abc" and header.compression == 0  # 3 bytes: no deflate
        assert header.total_length == 3

        await peer.room.local_participant.send_text("xyz", topic="t")
        assert await at_lk.get() == ("xyz", "sdk")
        received = PacketTap.stream_packets(tap.received, "t")
        assert PacketTap.kinds(received) == ["stream_header"]
        assert headers(received)[0].inline_content == b"xyz"


async def test_a_500_kb_text_is_deflated_both_ways_with_the_sdk(pair: Any) -> None:
    lk, peer = pair
    tap = PacketTap(lk.room)
    text = prose(500_000)
    size = len(text.encode())
    at_sdk, at_lk = sdk_text_inbox(peer, "big"), lk_text_inbox(lk, "big")
    async with asyncio.timeout(60):
        started = time.monotonic()
        await lk.room.local_participant.send_text(text, topic="big")
        got, sender = await at_sdk.get()
        elapsed = time.monotonic() - started
        assert (digest(got), len(got), sender) == (digest(text), len(text), "lkdesk")
        sent = PacketTap.stream_packets(tap.sent, "big")
        [header] = headers(sent)
        assert header.compression == DEFLATE and not header.HasField("inline_content")
        assert header.total_length == size  # the size before compression
        wire = sum(len(p.stream_chunk.content) for p in sent if p.HasField("stream_chunk"))
        assert 2 < size / wire < 6, f"{size} bytes went as {wire}"
        assert PacketTap.kinds(sent)[-1] == "stream_trailer"
        log.warning(
            "500 kB text lkdesk → SDK: %d → %d bytes (%.2f:1), delivered in %.0f ms",
            size,
            wire,
            size / wire,
            elapsed * 1000,
        )

        await peer.room.local_participant.send_text(text, topic="big")
        got, sender = await at_lk.get()
        assert (digest(got), sender) == (digest(text), "sdk")
        [incoming] = headers(PacketTap.stream_packets(tap.received, "big"))
        assert incoming.compression == DEFLATE  # the SDK deflated it for us


async def test_rpc_with_a_1_mb_payload_goes_both_ways_with_the_sdk(pair: Any) -> None:
    lk, peer = pair
    tap = PacketTap(lk.room)
    payload = prose(1_000_000, seed=1)
    local = lk.room.local_participant

    @peer.room.local_participant.register_rpc_method("digest")
    async def sdk_digest(data: sdk.RpcInvocationData) -> str:
        return f"{len(data.payload)}:{digest(data.payload)}:{data.payload[::-1]}"

    @local.register_rpc_method("digest")
    async def lk_digest(data: rtc.RpcInvocationData) -> str:
        return f"{len(data.payload)}:{digest(data.payload)}:{data.payload[::-1]}"

    expected = f"{len(payload)}:{digest(payload)}:{payload[::-1]}"
    async with asyncio.timeout(60):
        started = time.monotonic()
        answer = await local.perform_rpc(
            destination_identity="sdk", method="digest", payload=payload, response_timeout=30
        )
        round_trip = time.monotonic() - started
        assert digest(answer) == digest(expected)
        [request] = headers(PacketTap.stream_packets(tap.sent, "lk.rpc_request"))
        assert request.attributes["lk.rpc_request_method"] == "digest"
        assert request.attributes["lk.rpc_request_version"] == "2"
        assert request.compression == DEFLATE
        [response] = headers(PacketTap.stream_packets(tap.received, "lk.rpc_response"))
        assert response.attributes["lk.rpc_request_id"] == request.attributes["lk.rpc_request_id"]
        assert not [p for p in tap.sent if p.HasField("rpc_request")]
        log.warning("RPC 1 MB + 1 MB answer lkdesk → SDK: %.0f ms", round_trip * 1000)

        started = time.monotonic()
        answer = await peer.room.local_participant.perform_rpc(
            destination_identity="lkdesk", method="digest", payload=payload, response_timeout=30
        )
        round_trip = time.monotonic() - started
        assert digest(answer) == digest(expected)
        assert headers(PacketTap.stream_packets(tap.received, "lk.rpc_request"))
        [reply] = headers(PacketTap.stream_packets(tap.sent, "lk.rpc_response"))
        assert reply.compression == DEFLATE
        log.warning("RPC 1 MB + 1 MB answer SDK → lkdesk: %.0f ms", round_trip * 1000)


async def test_a_v1_only_peer_is_still_served_by_lkdesk_and_the_sdk(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    old = LkdeskPeer()  # client protocol 0: takes only v1 streams and RPC v1
    peer = SdkPeer(server.ws_url, server.token("sdk", room_name))
    try:
        await peer.connect()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        await old.connect(server.ws_url, server.token("old", room_name), client_protocol=0)
        await lk.wait_until(lambda: {"sdk", "old"} <= set(lk.room.remote_participants))
        await old.wait_until(lambda: {"sdk", "lkdesk"} <= set(old.room.remote_participants))
        await eventually(lambda: {"lkdesk", "old"} <= set(peer.room.remote_participants))
        assert lk.room.remote_participants["old"].info.client_protocol == 0
        assert lk.room.remote_participants["sdk"].info.client_protocol == 2
        tap = PacketTap(old.room)
        inbox = lk_text_inbox(old, "t")
        text = prose(40_000)

        @old.room.local_participant.register_rpc_method("len")
        async def length(data: rtc.RpcInvocationData) -> str:
            return f"{data.caller_identity}:{len(data.payload)}"

        async with asyncio.timeout(60):
            # lkdesk → old: plain chunks on character boundaries, never inline, never deflated
            await lk.room.local_participant.send_text(
                "abc", topic="t", destination_identities=["old"]
            )
            await lk.room.local_participant.send_text(
                text, topic="t", destination_identities=["old"]
            )
            assert await inbox.get() == ("abc", "lkdesk")
            got, _ = await inbox.get()
            assert digest(got) == digest(text)
            # the SDK falls back the same way for it
            await peer.room.local_participant.send_text(
                "sdk", topic="t", destination_identities=["old"]
            )
            assert await inbox.get() == ("sdk", "sdk")
            for header in headers(PacketTap.stream_packets(tap.received, "t")):
                assert not header.HasField("inline_content") and header.compression == 0
            assert (
                PacketTap.kinds(PacketTap.stream_packets(tap.received, "t")).count("stream_trailer")
                == 3
            )

            # a broadcast with a v1 peer in the room is v1 for everyone
            at_sdk = sdk_text_inbox(peer, "all")
            await lk.room.local_participant.send_text("to all", topic="all")
            assert await at_sdk.get() == ("to all", "lkdesk")

            # RPC v1 packets both ways, and the 15 KiB limit for this callee only
            local = lk.room.local_participant
            assert (
                await local.perform_rpc(
                    destination_identity="old", method="len", payload="é" * 1000
                )
                == "lkdesk:1000"
            )
            assert [p.rpc_request.version for p in tap.received if p.HasField("rpc_request")] == [1]
            assert [p.rpc_response.payload for p in tap.sent if p.HasField("rpc_response")] == [
                "lkdesk:1000"
            ]
            with pytest.raises(rtc.RpcError) as error:
                await local.perform_rpc(
                    destination_identity="old", method="len", payload="x" * 20_000
                )
            assert error.value.code == rtc.RpcError.ErrorCode.REQUEST_PAYLOAD_TOO_LARGE
            sdk_answer = await peer.room.local_participant.perform_rpc(
                destination_identity="old", method="len", payload="y"
            )
            assert sdk_answer == "sdk:1"
            assert [p.rpc_request.version for p in tap.received if p.HasField("rpc_request")] == [
                1,
                1,
            ]

            # and the old peer itself speaks v1 to a v2 peer
            @peer.room.local_participant.register_rpc_method("echo")
            async def echo(data: sdk.RpcInvocationData) -> str:
                return data.payload

            assert (
                await old.room.local_participant.perform_rpc(
                    destination_identity="sdk", method="echo", payload="hi"
                )
                == "hi"
            )
            assert [p.rpc_request.version for p in tap.sent if p.HasField("rpc_request")] == [1]
    finally:
        await old.aclose()
        await lk.aclose()
        await peer.aclose()

"""Data packets, text/byte streams and RPC between lkdesk and the official Python SDK."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest
from livekit import rtc as sdk

from lkdesk import rtc
from lkdesk.core import errors
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, eventually
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration


def multibyte_text(size: int) -> str:
    """Text of about ``size`` UTF-8 bytes mixing 1-, 2-, 3- and 4-byte characters."""
    unit = "aé€😀"  # 1 + 2 + 3 + 4 bytes: chunk boundaries land inside characters
    return (unit * (size // 10 + 1))[: size // 10 * 4]


@pytest.fixture
async def pair(livekit_server: LiveKitServer, room_name: str):  # type: ignore[no-untyped-def]
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("sdk", room_name))
    await peer.connect()
    await lk.connect(server.ws_url, server.token("lkdesk", room_name))
    await lk.wait_until(lambda: "sdk" in lk.room.remote_participants)
    await eventually(lambda: "lkdesk" in peer.room.remote_participants)
    try:
        yield lk, peer
    finally:
        await lk.aclose()
        await peer.aclose()


@pytest.mark.parametrize("size", [20, 100_000, 2_000_000])
async def test_text_streams_both_ways_arrive_identical(pair, size: int) -> None:  # type: ignore[no-untyped-def]
    lk, peer = pair
    text = multibyte_text(size)
    attributes = {"kind": "test", "size": str(size)}
    at_sdk: asyncio.Future[tuple[str, dict[str, str], str]] = (
        asyncio.get_running_loop().create_future()
    )
    at_lk: asyncio.Future[tuple[str, dict[str, str], str]] = (
        asyncio.get_running_loop().create_future()
    )

    async def sdk_handler(reader: sdk.TextStreamReader, identity: str) -> None:
        at_sdk.set_result((await reader.read_all(), dict(reader.info.attributes), identity))

    async def lk_handler(reader: rtc.TextStreamReader, identity: str) -> None:
        at_lk.set_result((await reader.read_all(), dict(reader.info.attributes), identity))

    peer.room.register_text_stream_handler(
        "t", lambda r, i: asyncio.ensure_future(sdk_handler(r, i))
    )
    lk.room.register_text_stream_handler("t", lk_handler)
    async with asyncio.timeout(60):
        await lk.room.local_participant.send_text(text, topic="t", attributes=attributes)
        got, attrs, sender = await at_sdk
        assert (got == text, attrs, sender) == (True, attributes, "lkdesk")
        await peer.room.local_participant.send_text(text, topic="t", attributes=attributes)
        got, attrs, sender = await at_lk
        assert (got == text, attrs, sender) == (True, attributes, "sdk")


@pytest.mark.parametrize("size", [0, 5 * 1024 * 1024])
async def test_files_both_ways_keep_their_hash(pair, tmp_path: Path, size: int) -> None:  # type: ignore[no-untyped-def]
    lk, peer = pair
    source = tmp_path / "payload.bin"
    source.write_bytes(os.urandom(size))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    at_sdk: asyncio.Future[tuple[bytes, str, int | None]] = (
        asyncio.get_running_loop().create_future()
    )
    at_lk: asyncio.Future[tuple[bytes, str, int | None, list[float]]] = (
        asyncio.get_running_loop().create_future()
    )

    async def sdk_handler(reader: sdk.ByteStreamReader, identity: str) -> None:
        data = b"".join([chunk async for chunk in reader])
        at_sdk.set_result((data, reader.info.name, reader.info.size))

    async def lk_handler(reader: rtc.ByteStreamReader, identity: str) -> None:
        seen: list[float] = []
        parts: list[bytes] = []
        async for chunk in reader:
            parts.append(chunk)
            if reader.progress is not None:
                seen.append(reader.progress)
        at_lk.set_result((b"".join(parts), reader.info.name, reader.info.size, seen))

    peer.room.register_byte_stream_handler(
        "f", lambda r, i: asyncio.ensure_future(sdk_handler(r, i))
    )
    lk.room.register_byte_stream_handler("f", lk_handler)
    progress: list[tuple[int, int]] = []
    async with asyncio.timeout(120):
        await lk.room.local_participant.send_file(
            source, topic="f", on_progress=lambda sent, total: progress.append((sent, total))
        )
        data, name, announced = await at_sdk
        assert hashlib.sha256(data).hexdigest() == digest and name == "payload.bin"
        assert announced == size
        if size:
            assert progress[-1] == (size, size) and len(progress) > 3
        await peer.room.local_participant.send_file(str(source), topic="f")
        data, name, announced, seen = await at_lk
        assert hashlib.sha256(data).hexdigest() == digest and name == "payload.bin"
        if size:
            assert seen[-1] == 1.0 and seen == sorted(seen)


async def test_rpc_both_ways_with_errors_timeouts_and_limits(pair) -> None:  # type: ignore[no-untyped-def]
    lk, peer = pair
    local = lk.room.local_participant

    @local.register_rpc_method("upper")
    async def upper(data: rtc.RpcInvocationData) -> str:
        return f"{data.caller_identity}:{data.payload.upper()}"

    async def fails(data: rtc.RpcInvocationData) -> str:
        raise rtc.RpcError(2001, "nope", "details")

    async def hangs(data: rtc.RpcInvocationData) -> str:
        await asyncio.sleep(30)
        return ""

    local.register_rpc_method("fails", fails)
    local.register_rpc_method("hangs", hangs)

    sdk_local = peer.room.local_participant

    @sdk_local.register_rpc_method("echo")
    async def echo(data: sdk.RpcInvocationData) -> str:
        return f"{data.caller_identity}:{data.payload}"

    @sdk_local.register_rpc_method("sdk_fails")
    async def sdk_fails(data: sdk.RpcInvocationData) -> str:
        raise sdk.RpcError(2002, "sdk says no", "more")

    @sdk_local.register_rpc_method("sdk_hangs")
    async def sdk_hangs(data: sdk.RpcInvocationData) -> str:
        await asyncio.sleep(30)
        return ""

    # SDK → lkdesk
    assert (
        await sdk_local.perform_rpc(destination_identity="lkdesk", method="upper", payload="hé")
        == "sdk:HÉ"
    )
    with pytest.raises(sdk.RpcError) as sdk_error:
        await sdk_local.perform_rpc(destination_identity="lkdesk", method="fails", payload="")
    assert (sdk_error.value.code, sdk_error.value.message, sdk_error.value.data) == (
        2001,
        "nope",
        "details",
    )
    with pytest.raises(sdk.RpcError) as sdk_error:
        await sdk_local.perform_rpc(destination_identity="lkdesk", method="missing", payload="")
    assert sdk_error.value.code == rtc.RpcError.ErrorCode.UNSUPPORTED_METHOD
    with pytest.raises(sdk.RpcError) as sdk_error:
        await sdk_local.perform_rpc(
            destination_identity="lkdesk", method="hangs", payload="", response_timeout=2
        )
    assert sdk_error.value.code == rtc.RpcError.ErrorCode.RESPONSE_TIMEOUT

    # lkdesk → SDK
    assert (
        await local.perform_rpc(destination_identity="sdk", method="echo", payload="ü")
        == "lkdesk:ü"
    )
    with pytest.raises(rtc.RpcError) as error:
        await local.perform_rpc(destination_identity="sdk", method="sdk_fails", payload="")
    assert (error.value.code, error.value.message, error.value.data) == (
        2002,
        "sdk says no",
        "more",
    )
    with pytest.raises(rtc.RpcError) as error:
        await local.perform_rpc(destination_identity="sdk", method="missing", payload="")
    assert error.value.code == rtc.RpcError.ErrorCode.UNSUPPORTED_METHOD
    with pytest.raises(rtc.RpcError) as error:
        await local.perform_rpc(
            destination_identity="sdk", method="sdk_hangs", payload="", response_timeout=2
        )
    assert error.value.code == rtc.RpcError.ErrorCode.RESPONSE_TIMEOUT
    # both speak RPC v2 (client protocol 2): no 15 KiB limit; v1 peers: test_rtc_data_v2.py
    big = "x" * 20_000
    assert (
        await local.perform_rpc(destination_identity="sdk", method="echo", payload=big)
        == "lkdesk:" + big
    )


async def test_packets_respect_destinations_topics_and_reliability(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    alice = SdkPeer(server.ws_url, server.token("alice", room_name))
    bob = SdkPeer(server.ws_url, server.token("bob", room_name))
    try:
        await alice.connect()
        await bob.connect()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        await lk.wait_until(lambda: {"alice", "bob"} <= set(lk.room.remote_participants))
        # The server batches updates about non-publishers; wait until both peers know us.
        await eventually(lambda: all("lkdesk" in p.room.remote_participants for p in (alice, bob)))
        local = lk.room.local_participant
        await local.publish_data(b"to-alice", destination_identities=["alice"], topic="dm")
        await local.publish_data("to-all-lossy", reliable=False, topic="news")
        await local.publish_data("to-all-reliable", topic="news")
        async with asyncio.timeout(5):
            await alice.wait_for("data_received", lambda p: p.data == b"to-all-reliable")
            await bob.wait_for("data_received", lambda p: p.data == b"to-all-reliable")
        await asyncio.sleep(0.5)
        alice_got = {(p.data, p.topic) for (p,) in alice.events["data_received"]}
        bob_got = {(p.data, p.topic) for (p,) in bob.events["data_received"]}
        assert (b"to-alice", "dm") in alice_got and (b"to-alice", "dm") not in bob_got
        assert (b"to-all-lossy", "news") in alice_got and (b"to-all-lossy", "news") in bob_got
        for (p,) in alice.events["data_received"]:
            assert p.participant.identity == "lkdesk"

        await alice.room.local_participant.publish_data(b"hello", topic="greet")
        await alice.room.local_participant.publish_data(
            b"only-bob", topic="greet", destination_identities=["bob"]
        )
        _, (packet,) = await lk.wait_for("data_received", lambda p: p.topic == "greet")
        assert packet.data == b"hello" and packet.participant.identity == "alice"
        await asyncio.sleep(0.5)
        assert [p.data for _, (p,) in lk.events["data_received"]] == [b"hello"]
    finally:
        await lk.aclose()
        await alice.aclose()
        await bob.aclose()


async def test_sending_without_can_publish_data_is_a_clear_error(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    try:
        await lk.connect(server.ws_url, server.token("lkdesk", room_name, can_publish_data=False))
        local = lk.room.local_participant
        for attempt in (
            local.publish_data(b"x"),
            local.send_text("hi", topic="lk.chat"),
            local.perform_rpc(destination_identity="x", method="m", payload=""),
        ):
            with pytest.raises(errors.PublishPermissionError, match="canPublishData"):
                await attempt
    finally:
        await lk.aclose()

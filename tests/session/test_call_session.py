"""``CallSession`` without Qt, on the real LiveKit server with an official-SDK peer.

What the UI relies on, checked at the session layer: joining gives the peer's state and
video, chat in both directions lands in one history with delivery states, files arrive with
the same bytes, a reconnect is visible as status and loses no message, leaving ends cleanly.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from livekit import rtc as sdk

from lkdesk.session import ChatDelivery, JoinOptions, SessionState, TileKey
from lkdesk.session.call import CallSession
from lkdesk.session.targets import Credentials
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import eventually
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration

GREEN = (30, 200, 70)


async def _until(condition: Callable[[], bool], what: str, deadline_s: float = 20.0) -> None:
    try:
        await eventually(condition, deadline_s)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


@pytest.fixture
async def call(
    livekit_server: LiveKitServer, room_name: str
) -> AsyncIterator[tuple[CallSession, SdkPeer, list[tuple[str, Any]]]]:
    server = livekit_server
    peer = SdkPeer(server.ws_url, server.token("ada", room_name, name="Ada"))
    await peer.connect()
    await peer.publish_video(color=GREEN)
    credentials = Credentials(
        url=server.ws_url,
        token=server.token("me", room_name, name="Me"),
        room=room_name,
        identity="me",
        name="Me",
        name_editable=False,
        admin=None,
    )
    session = CallSession(credentials)
    seen: list[tuple[str, Any]] = []
    for event in ("status", "chat_message", "chat_updated", "video_frame"):
        session.events.on(event, lambda *args, e=event: seen.append((e, args)))
    try:
        await session.refresh_devices()  # no camera here: the join must not try one
        await session.join(JoinOptions("Me", mic_on=False, camera_on=False))
        yield session, peer, seen
    finally:
        await session.aclose()
        await peer.aclose()


async def test_joining_shows_the_peer_and_its_video(
    call: tuple[CallSession, SdkPeer, list[tuple[str, Any]]],
) -> None:
    session, _peer, seen = call
    assert session.status.state is SessionState.CONNECTED
    await _until(lambda: session.participant("ada") is not None, "Ada in the participant list")
    ada = session.participant("ada")
    assert ada is not None and ada.display_name == "Ada" and ada.camera_on
    await _until(
        lambda: bool([a for e, a in seen if e == "video_frame" and a[0] == TileKey("ada")]),
        "Ada's video",
    )
    frames = [a for e, a in seen if e == "video_frame" and a[0] == TileKey("ada")]
    bgra = frames[-1][1]
    assert bgra.ndim == 3 and bgra.shape[2] == 4  # BGRA: Qt paints it without converting
    rgb = bgra[..., 2::-1]
    assert np.allclose(rgb[: rgb.shape[0] // 2].reshape(-1, 3).mean(axis=0), GREEN, atol=35)


async def test_chat_both_ways_in_one_history_with_delivery_states(
    call: tuple[CallSession, SdkPeer, list[tuple[str, Any]]],
) -> None:
    session, peer, seen = call
    got: list[str] = []

    async def read(reader: sdk.TextStreamReader) -> None:
        got.append(await reader.read_all())

    tasks: set[asyncio.Task[None]] = set()
    peer.room.register_text_stream_handler(
        "lk.chat", lambda reader, _who: tasks.add(asyncio.create_task(read(reader)))
    )
    await session.send_chat("hello from the session")
    await peer.room.local_participant.send_text("hi back", topic="lk.chat")
    await _until(lambda: len(session.chat_history) == 2, "both messages in the history")
    mine, theirs = session.chat_history
    assert (mine.text, mine.is_local, mine.delivery) == (
        "hello from the session",
        True,
        ChatDelivery.SENT,
    )
    assert (theirs.text, theirs.sender_name, theirs.delivery) == (
        "hi back",
        "Ada",
        ChatDelivery.RECEIVED,
    )
    states = [a[0].delivery for e, a in seen if e in ("chat_message", "chat_updated")]
    assert states[:2] == [ChatDelivery.SENDING, ChatDelivery.SENT]
    await _until(lambda: got == ["hello from the session"], "the peer to read our message")
    await asyncio.gather(*tasks)


async def test_files_both_ways_keep_their_bytes(
    call: tuple[CallSession, SdkPeer, list[tuple[str, Any]]], tmp_path: Path
) -> None:
    session, peer, _seen = call
    outgoing = tmp_path / "notes.bin"
    outgoing.write_bytes(np.random.default_rng(1).bytes(300_000))
    received: list[bytes] = []

    async def read(reader: sdk.ByteStreamReader) -> None:
        received.append(b"".join([chunk async for chunk in reader]))

    tasks: set[asyncio.Task[None]] = set()
    peer.room.register_byte_stream_handler(
        "lk.chat", lambda reader, _who: tasks.add(asyncio.create_task(read(reader)))
    )
    await session.send_file(outgoing)
    await _until(lambda: bool(received), "the peer to receive our file")
    assert hashlib.sha256(received[0]).digest() == hashlib.sha256(outgoing.read_bytes()).digest()

    incoming = tmp_path / "from-ada.bin"
    incoming.write_bytes(np.random.default_rng(2).bytes(200_000))
    await peer.room.local_participant.send_file(str(incoming), topic="lk.chat")
    await _until(
        lambda: any(e.attachment and not e.is_local for e in session.chat_history),
        "Ada's file in the chat",
    )
    entry = next(e for e in session.chat_history if e.attachment and not e.is_local)
    assert entry.attachment is not None and entry.attachment.file_name == "from-ada.bin"
    saved = tmp_path / "saved.bin"
    await session.save_file(entry.attachment.transfer_id, saved)
    assert saved.read_bytes() == incoming.read_bytes()
    await asyncio.gather(*tasks)


async def test_a_dropped_connection_shows_reconnecting_and_the_message_written_meanwhile_arrives(
    call: tuple[CallSession, SdkPeer, list[tuple[str, Any]]],
) -> None:
    """Fault injected in-process (the socket is aborted under lkdesk); real-network faults
    are in tests/integration/test_faults_chat.py."""
    session, peer, seen = call
    got: list[str] = []
    tasks: set[asyncio.Task[None]] = set()

    async def read(reader: sdk.TextStreamReader) -> None:
        got.append(await reader.read_all())

    peer.room.register_text_stream_handler(
        "lk.chat", lambda reader, _who: tasks.add(asyncio.create_task(read(reader)))
    )
    room = session._room
    assert room is not None and room._engine.signal is not None
    assert room._engine.signal._ws is not None
    room._engine.signal._ws.transport.abort()
    await _until(lambda: session.status.state is SessionState.RECONNECTING, "Reconnecting")
    sending = asyncio.create_task(session.send_chat("written while reconnecting"))
    await _until(lambda: session.status.state is SessionState.CONNECTED, "reconnected", 30)
    await sending
    await _until(lambda: got == ["written while reconnecting"], "the message to arrive once")
    (entry,) = session.chat_history
    assert entry.delivery is ChatDelivery.SENT
    assert [a[0].state for e, a in seen if e == "status"][-2:] == [
        SessionState.RECONNECTING,
        SessionState.CONNECTED,
    ]
    await asyncio.gather(*tasks)

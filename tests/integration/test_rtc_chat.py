"""Chat conventions (edits, replies, direct messages, files, failures) and DTMF."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from pathlib import Path

import pytest
from livekit import rtc as sdk

from lkdesk import rtc
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, eventually
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration


class SdkChat:
    """The SDK peer reading lk.chat the way components-js does."""

    def __init__(self, peer: SdkPeer) -> None:
        self.messages: list[tuple[str, str, str, str]] = []  # id, sender, text, reply_to
        self.files: list[tuple[str, bytes]] = []
        peer.room.register_text_stream_handler("lk.chat", self._text)
        peer.room.register_byte_stream_handler("lk.chat", self._bytes)
        self._tasks: list[asyncio.Task[None]] = []

    def _text(self, reader: sdk.TextStreamReader, sender: str) -> None:
        async def read() -> None:
            text = await reader.read_all()
            reply_to = getattr(reader.info, "reply_to_id", "") or ""
            self.messages.append((reader.info.stream_id, sender, text, reply_to))

        self._tasks.append(asyncio.ensure_future(read()))

    def _bytes(self, reader: sdk.ByteStreamReader, sender: str) -> None:
        async def read() -> None:
            self.files.append((reader.info.name, b"".join([c async for c in reader])))

        self._tasks.append(asyncio.ensure_future(read()))


async def test_edits_replies_direct_messages_and_files(
    livekit_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    alice = SdkPeer(server.ws_url, server.token("alice", room_name))
    bob = SdkPeer(server.ws_url, server.token("bob", room_name))
    try:
        await alice.connect()
        await bob.connect()
        alice_chat, bob_chat = SdkChat(alice), SdkChat(bob)
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        await eventually(lambda: all("lkdesk" in p.room.remote_participants for p in (alice, bob)))
        chat = rtc.Chat(lk.room)
        updates: list[rtc.ChatMessage] = []
        chat.on("message_updated", updates.append)

        first = await chat.send("teh first")
        await chat.edit(first.id, "the first")
        await eventually(lambda: len(alice_chat.messages) == 2)
        # Same id twice = an edit (the SDK reads the two streams concurrently: any order).
        assert [m[0] for m in alice_chat.messages] == [first.id, first.id]
        assert {m[2] for m in alice_chat.messages} == {"teh first", "the first"}

        dm = await chat.send("just for bob", destination_identities=["bob"])
        await eventually(lambda: any(m[2] == "just for bob" for m in bob_chat.messages))
        await asyncio.sleep(0.5)
        assert not any(m[2] == "just for bob" for m in alice_chat.messages)
        assert dm.is_direct

        info = await alice.room.local_participant.send_text(
            "reply!", topic="lk.chat", reply_to_id=first.id
        )
        await eventually(lambda: any(m.message == "reply!" for m in chat.history))
        reply = next(m for m in chat.history if m.message == "reply!")
        assert reply.reply_to_id == first.id and reply.id == info.stream_id
        writer = await alice.room.local_participant.stream_text(
            topic="lk.chat", stream_id=info.stream_id
        )
        await writer.write("reply, edited")
        await writer.aclose()
        await eventually(lambda: any(m.message == "reply, edited" for m in updates))
        assert sum(1 for m in chat.history if m.sender_identity == "alice") == 1

        legacy = {"id": "old-1", "timestamp": 1, "message": "from an old client"}
        await bob.room.local_participant.publish_data(json.dumps(legacy), topic="lk-chat-topic")
        await eventually(lambda: any(m.message == "from an old client" for m in chat.history))

        attachment = tmp_path / "notes.bin"
        attachment.write_bytes(os.urandom(300_000))
        with_file = await chat.send("see attached", attachments=[attachment])
        await eventually(lambda: bool(alice_chat.files))
        name, data = alice_chat.files[0]
        assert name == "notes.bin"
        assert hashlib.sha256(data).digest() == hashlib.sha256(attachment.read_bytes()).digest()
        assert len(with_file.attachment_ids) == 1

        received_files: list[rtc.ReceivedFile] = []
        chat.on("file_received", received_files.append)
        await bob.room.local_participant.send_file(str(attachment), topic="lk.chat")
        await eventually(lambda: bool(received_files))
        saved = tmp_path / "saved.bin"
        assert await rtc.save_file(received_files[0], saved) == 300_000
        assert saved.read_bytes() == attachment.read_bytes()
    finally:
        await lk.aclose()
        await alice.aclose()
        await bob.aclose()


async def test_a_message_that_cannot_be_sent_is_kept_as_failed(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    try:
        await lk.connect(server.ws_url, server.token("lkdesk", room_name, can_publish_data=False))
        chat = rtc.Chat(lk.room)
        message = await chat.send("important words")
        assert message.state == rtc.DeliveryState.FAILED
        assert "canPublishData" in message.error
        assert chat.history == [message]
    finally:
        await lk.aclose()


async def test_sip_dtmf_is_surfaced_as_an_event(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    phone = SdkPeer(server.ws_url, server.token("phone", room_name))
    try:
        await phone.connect()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        await eventually(lambda: "phone" in lk.room.remote_participants)
        await phone.room.local_participant.publish_dtmf(code=5, digit="5")
        _, (dtmf,) = await lk.wait_for("sip_dtmf_received", deadline_s=5)
        assert (dtmf.code, dtmf.digit, dtmf.participant.identity) == (5, "5", "phone")
    finally:
        await lk.aclose()
        await phone.aclose()

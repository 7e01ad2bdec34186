"""rtc.Chat's own rules, with a scripted room (the real-network proof is test_faults.py):
messages go out one after another, and one that failed is sent again once after a reconnect."""

from __future__ import annotations

import asyncio
from typing import Any

from lkdesk.core.emitter import EventEmitter
from lkdesk.core.errors import RoomError
from lkdesk.rtc.chat import Chat, DeliveryState


class ScriptedParticipant:
    identity = "me"

    def __init__(self) -> None:
        self.failures_left = 0
        self.sent: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def send_text(self, text: str, **_options: Any) -> None:
        await self.gate.wait()
        if self.failures_left:
            self.failures_left -= 1
            raise RoomError("The connection dropped.")
        self.sent.append(text)

    async def publish_data(self, _payload: Any, **_options: Any) -> None:
        return None


class ScriptedRoom(EventEmitter[str]):
    def __init__(self) -> None:
        super().__init__()
        self.local_participant = ScriptedParticipant()

    def register_text_stream_handler(self, _topic: str, _handler: Any) -> None: ...

    def register_byte_stream_handler(self, _topic: str, _handler: Any) -> None: ...

    def unregister_text_stream_handler(self, _topic: str) -> None: ...

    def unregister_byte_stream_handler(self, _topic: str) -> None: ...


async def test_a_failed_message_is_sent_again_once_after_a_reconnect_scripted_room() -> None:
    room = ScriptedRoom()
    chat = Chat(room)  # type: ignore[arg-type]
    states: list[str] = []
    chat.on("message_state", lambda m: states.append(str(m.state)))
    room.local_participant.failures_left = 2
    failed = await chat.send("hello?")
    assert failed.state == DeliveryState.FAILED and "dropped" in failed.error
    room.emit("reconnected")  # first reconnect: retried (and fails again)
    await asyncio.sleep(0.05)
    assert chat.history[0].state == DeliveryState.FAILED
    room.emit("reconnected")  # only once: no second automatic try
    await asyncio.sleep(0.05)
    assert room.local_participant.sent == []
    assert states == ["sending", "failed", "sending", "failed"]
    resent = await chat.resend(failed.id)  # the user can still try again
    assert resent.state == DeliveryState.SENT and room.local_participant.sent == ["hello?"]
    chat.close()


async def test_messages_go_out_in_the_order_they_were_written_scripted_room() -> None:
    room = ScriptedRoom()
    chat = Chat(room)  # type: ignore[arg-type]
    room.local_participant.gate.clear()  # the first send is slow
    sends = [asyncio.create_task(chat.send(f"m{i}")) for i in range(5)]
    await asyncio.sleep(0.05)
    room.local_participant.gate.set()
    await asyncio.gather(*sends)
    assert room.local_participant.sent == [f"m{i}" for i in range(5)]
    chat.close()

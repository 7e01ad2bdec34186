"""lkdesk in its own process (and network namespace), driven by a test over JSON lines.

Run as ``python -m tests.integration.lkdesk_agent`` (see remote_lkdesk.py). Each stdin line
is ``{"id": n, "cmd": name, "args": {...}}``; each answer is ``{"id": n, "ok": bool,
"result" | "error": ...}`` on stdout. Room events go out unprompted as ``{"event": name,
"t": monotonic seconds, ...}``. The agent exits when stdin closes, leaving the room first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from lkdesk import rtc
from lkdesk.rtc.e2ee import E2EEOptions, passphrase_options
from tests.integration.analysis import content_region, decode_counter, mean_color
from tests.integration.lkdesk_media import produce_tone, produce_video
from tests.integration.pc_mode import apply_environment

_log = logging.getLogger("lkdesk_agent")

Handler = Callable[..., Awaitable[Any]]
E2EE_VARIABLE = "LKDESK_TEST_E2EE"


class Agent:
    """One lkdesk room plus the producers, chat and probes the tests ask for."""

    def __init__(self, write: Callable[[dict[str, Any]], None]) -> None:
        self._write = write
        self.room = rtc.Room()
        self.chat: rtc.Chat | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sent: list[dict[str, Any]] = []
        self._received: list[dict[str, Any]] = []
        self._video: dict[str, dict[str, Any]] = {}
        self._frames: dict[str, list[list[Any]]] = {}
        self._data: list[dict[str, Any]] = []
        self.room.on("data_received", self._on_data)
        for name in ("reconnecting", "reconnected", "disconnected", "connection_state_changed"):
            self.room.on(name, self._forwarder(name))  # type: ignore[arg-type]
        self.room.on("track_subscribed", self._on_track_subscribed)
        self.room.on("participant_connected", self._forwarder("participant_connected"))
        self.room.on("participant_disconnected", self._forwarder("participant_disconnected"))

    def _forwarder(self, name: str) -> Callable[..., None]:
        def forward(*args: Any) -> None:
            self._write({"event": name, "t": time.monotonic(), "args": [_plain(a) for a in args]})

        return forward

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ----- commands -----------------------------------------------------------------------

    async def connect(
        self,
        url: str,
        token: str,
        trusted_ca_pem: str = "",
        media_timeout_s: float = 15.0,
        single_peer_connection: bool | None = None,
    ) -> dict[str, Any]:
        options = rtc.RoomOptions(
            trust=rtc.ServerTrust(trusted_ca_pem),
            media_timeout_s=media_timeout_s,
            encryption=e2ee_from_environment(),
            single_peer_connection=single_peer_connection,
        )
        await self.room.connect(url, token, options)
        self.chat = rtc.Chat(self.room)
        self.chat.on("message_received", self._on_chat)
        assert self.room.local_participant is not None
        return {"sid": self.room.local_participant.sid}

    async def publish_video(self, color: list[int], width: int = 320, height: int = 240) -> str:
        source = rtc.VideoSource(width, height)
        track = rtc.LocalVideoTrack.create_video_track("camera", source)
        self._spawn(produce_video(source, (color[0], color[1], color[2])), "video")
        assert self.room.local_participant is not None
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
        publication = await self.room.local_participant.publish_track(track, options)
        return publication.sid

    async def publish_tone(self, freq_hz: float) -> str:
        source = rtc.AudioSource(48_000, 1)
        track = rtc.LocalAudioTrack.create_audio_track("mic", source)
        self._spawn(produce_tone(source, freq_hz), "tone")
        assert self.room.local_participant is not None
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        publication = await self.room.local_participant.publish_track(track, options)
        return publication.sid

    async def start_chat(self, prefix: str, count: int, rate_hz: float) -> None:
        """Send ``prefix-<i>`` for i in 1..count at ``rate_hz``, each send in its own task."""
        self._spawn(self._chat_loop(prefix, count, rate_hz), "chat")

    async def _chat_loop(self, prefix: str, count: int, rate_hz: float) -> None:
        start = time.monotonic()
        for i in range(1, count + 1):
            self._spawn(self._send_one(f"{prefix}-{i}"), f"chat-{i}")
            await asyncio.sleep(max(0.0, start + i / rate_hz - time.monotonic()))

    async def _send_one(self, text: str) -> None:
        assert self.chat is not None
        record: dict[str, Any] = {"text": text, "t": time.monotonic(), "state": "sending"}
        self._sent.append(record)
        message = await self.chat.send(text)
        record.update(state=str(message.state), error=message.error, done=time.monotonic())

    async def chat_report(self) -> dict[str, Any]:
        """What this agent sent (with each send's outcome) and received, in order."""
        final = {}
        if self.chat is not None:
            final = {m.message: str(m.state) for m in self.chat.history}
        return {"sent": self._sent, "received": self._received, "history_states": final}

    async def video_report(self, identity: str) -> dict[str, Any]:
        return dict(self._video.get(identity, {}))

    async def frame_log(self, identity: str, since: float = 0.0) -> list[list[Any]]:
        """Decoded frames of ``identity``'s video: [time, counter, [r, g, b]] (every 5th)."""
        return [f for f in self._frames.get(identity, []) if f[0] >= since]

    async def ice_info(self) -> dict[str, Any]:
        """Local candidates and states of both peer connections (test-only internals)."""
        engine = self.room._engine
        info: dict[str, Any] = {}
        if engine.single_connection is not None:  # v1: one PC carries both directions
            info["single"] = _ice_of(engine.single_connection.peer_connection)
            return info
        if engine.subscriber is not None:
            info["subscriber"] = _ice_of(engine.subscriber.peer_connection)
        if engine.publisher_connection is not None:
            info["publisher"] = _ice_of(engine.publisher_connection.peer_connection)
        return info

    async def recovery_stats(self) -> list[dict[str, int]]:
        subscriber = self.room._engine.receiving_connection
        return [vars(r.stats) for r in subscriber.recoveries] if subscriber else []

    async def send_data(self, text: str, topic: str = "data") -> float:
        assert self.room.local_participant is not None
        await self.room.local_participant.publish_data(text, reliable=True, topic=topic)
        return time.monotonic()

    async def data_log(self) -> list[dict[str, Any]]:
        return list(self._data)

    def _on_data(self, packet: rtc.DataPacket) -> None:
        if packet.topic in ("lk-chat-topic",):
            return
        sender = getattr(packet.participant, "identity", None)
        self._data.append({"t": time.monotonic(), "from": sender, "text": packet.data.decode()})

    async def media_routes(self) -> dict[str, str]:
        return self.room.media_routes()

    async def state(self) -> dict[str, Any]:
        local = self.room.local_participant
        return {
            "state": int(self.room.connection_state),
            "sid": local.sid if local is not None else "",
            "single_pc": self.room._engine.single_connection is not None,
            "remote": sorted(self.room.remote_participants),
        }

    async def disconnect(self) -> None:
        await self.room.disconnect()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.chat is not None:
            self.chat.close()
        await self.room.disconnect()

    # ----- room callbacks -----------------------------------------------------------------

    def _on_chat(self, message: rtc.ChatMessage) -> None:
        entry = {"sender": message.sender_identity, "text": message.message, "t": time.monotonic()}
        self._received.append(entry)

    def _on_track_subscribed(self, track: rtc.RemoteTrack, _pub: Any, participant: Any) -> None:
        if track.kind == rtc.TrackKind.KIND_VIDEO:
            self._spawn(self._watch_video(track, participant.identity), "watch")

    async def _watch_video(self, track: rtc.RemoteTrack, identity: str) -> None:
        """Keep per-identity figures on received video: frames, colour, counter, gaps."""
        stats = self._video.setdefault(
            identity,
            {"frames": 0, "color": None, "counter": None, "first": None, "last": None, "gaps": []},
        )
        frames = self._frames.setdefault(identity, [])
        stream = rtc.VideoStream(track, capacity=2)
        try:
            async for event in stream:
                now = time.monotonic()
                frame = event.frame.data
                height, width = frame.shape[:2]
                colour = mean_color(frame, content_region(width, height))
                frames.append([now, decode_counter(frame), list(colour)])
                if stats["last"] is not None and now - stats["last"] > 0.5:
                    stats["gaps"].append([stats["last"], now])
                stats["last"] = now
                stats["first"] = stats["first"] or now
                stats["frames"] += 1
                stats["color"], stats["counter"] = frames[-1][2], frames[-1][1]
        finally:
            await stream.aclose()


def _ice_of(pc: Any) -> dict[str, Any]:
    sctp = pc.sctp
    transport = (
        sctp.transport.transport
        if sctp is not None
        else pc.getTransceivers()[0].receiver.transport.transport
    )
    candidates = transport.iceGatherer.getLocalCandidates()
    return {
        "ice_state": pc.iceConnectionState,
        "connection_state": pc.connectionState,
        "local": [f"{c.ip}:{c.port}" for c in candidates if c.type != "relay"],
        "relayed": [f"{c.ip}:{c.port}" for c in candidates if c.type == "relay"],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    identity = getattr(value, "identity", None)
    return identity if isinstance(identity, str) else repr(value)


def e2ee_from_environment() -> E2EEOptions | None:
    """``LKDESK_TEST_E2EE=<passphrase>`` runs the agent in an end-to-end encrypted room."""
    passphrase = os.environ.get(E2EE_VARIABLE)
    return passphrase_options(passphrase) if passphrase else None


async def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LKDESK_AGENT_LOG", "WARNING"),
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    apply_environment()  # LKDESK_TEST_SINGLE_PC: the suite run in another default mode
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def write(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    agent = Agent(write)
    commands: dict[str, Handler] = {
        name: getattr(agent, name)
        for name in (
            "connect",
            "publish_video",
            "publish_tone",
            "start_chat",
            "chat_report",
            "video_report",
            "frame_log",
            "ice_info",
            "recovery_stats",
            "send_data",
            "data_log",
            "media_routes",
            "state",
            "disconnect",
        )
    }
    pending: set[asyncio.Task[None]] = set()

    async def run(request: dict[str, Any]) -> None:
        try:
            result = await commands[request["cmd"]](**request.get("args", {}))
            write({"id": request["id"], "ok": True, "result": result})
        except Exception as exc:  # noqa: BLE001 - reported to the test, which decides
            write({"id": request["id"], "ok": False, "error": f"{type(exc).__name__}: {exc}"})

    try:
        while line := await reader.readline():
            task = asyncio.create_task(run(json.loads(line)))
            pending.add(task)
            task.add_done_callback(pending.discard)
    finally:
        for task in list(pending):
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await agent.close()


if __name__ == "__main__":
    asyncio.run(main())

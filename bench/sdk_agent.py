"""The official SDK in its own process (and network namespace), driven like lkdesk's agent.

Run as ``python -m bench.sdk_agent`` through ``remote_lkdesk(host, log_dir, module=...)``
(tests/integration/remote_lkdesk.py): the same JSON-lines protocol as
tests/integration/lkdesk_agent.py. Each stdin line is ``{"id": n, "cmd": name, "args":
{...}}``; each answer is ``{"id": n, "ok": bool, "result" | "error": ...}`` on stdout; room
events go out unprompted as ``{"event": name, "t": monotonic seconds, "args": [...]}``. The
commands are the subset bench/resume_times.py uses, with the same names and results as the
lkdesk agent's: ``connect``, ``publish_video`` (the colour + frame-counter source of
tests/integration/peers.py), ``frame_log``, ``state``, ``disconnect``. The agent exits when
stdin closes, leaving the room first. The SDK's own log (its Rust core's, forwarded to the
``livekit`` logger) goes to stderr at INFO, so a run's log shows whether it resumed or
reconnected in full.
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

import numpy as np
from livekit import rtc as sdk
from livekit.rtc.room import EventTypes

from tests.integration.analysis import COUNTER_ROWS, content_region, decode_counter, mean_color
from tests.integration.peers import SdkPeer

Handler = Callable[..., Awaitable[Any]]

#: Room events forwarded with their times (what a resume or a full reconnect shows).
FORWARDED: tuple[EventTypes, ...] = (
    "reconnecting",
    "reconnected",
    "disconnected",
    "connection_state_changed",
    "participant_connected",
    "participant_disconnected",
    "local_track_published",
    "local_track_unpublished",
    "local_track_republished",
    "track_subscribed",
    "track_unsubscribed",
)


class SdkAgent:
    """One official-SDK room: publishes the test video, logs the frames it receives."""

    def __init__(self, write: Callable[[dict[str, Any]], None]) -> None:
        self._write = write
        self.peer: SdkPeer | None = None
        self._frames: dict[str, list[list[Any]]] = {}
        self._watchers: set[asyncio.Task[None]] = set()

    def _forwarder(self, name: EventTypes) -> Callable[..., None]:
        def forward(*args: Any) -> None:
            self._write({"event": name, "t": time.monotonic(), "args": [_plain(a) for a in args]})

        return forward

    # ----- commands -----------------------------------------------------------------------

    async def connect(self, url: str, token: str) -> dict[str, Any]:
        peer = SdkPeer(url, token)
        for name in FORWARDED:
            peer.room.on(name, self._forwarder(name))
        peer.room.on("track_subscribed", self._on_track_subscribed)
        self.peer = peer
        await peer.connect()
        return {"sid": peer.room.local_participant.sid}

    async def publish_video(self, color: list[int], width: int = 320, height: int = 240) -> str:
        assert self.peer is not None
        publication = await self.peer.publish_video(
            color=(color[0], color[1], color[2]), width=width, height=height
        )
        return publication.sid

    async def frame_log(self, identity: str, since: float = 0.0) -> list[list[Any]]:
        """Decoded frames of ``identity``'s video: [time, counter, [r, g, b]]."""
        return [f for f in self._frames.get(identity, []) if f[0] >= since]

    async def state(self) -> dict[str, Any]:
        if self.peer is None:
            return {"state": int(sdk.ConnectionState.CONN_DISCONNECTED), "sid": "", "remote": []}
        room = self.peer.room
        return {
            "state": int(room.connection_state),
            "sid": room.local_participant.sid,
            "remote": sorted(room.remote_participants),
        }

    async def disconnect(self) -> None:
        if self.peer is not None:
            await self.peer.room.disconnect()

    async def close(self) -> None:
        for task in list(self._watchers):
            task.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
        if self.peer is not None:
            await self.peer.aclose()

    # ----- received video -------------------------------------------------------------------

    def _on_track_subscribed(self, track: Any, _publication: Any, participant: Any) -> None:
        if track.kind == sdk.TrackKind.KIND_VIDEO:
            task = asyncio.create_task(self._watch(track, participant.identity))
            self._watchers.add(task)
            task.add_done_callback(self._watchers.discard)

    async def _watch(self, track: sdk.RemoteTrack, identity: str) -> None:
        frames = self._frames.setdefault(identity, [])
        # The newest two frames, like lkdesk's agent: a consumer slowed by a loaded machine
        # must not build a queue of old frames (it would look like a backlog).
        stream = sdk.VideoStream(track, capacity=2, format=sdk.VideoBufferType.RGB24)
        try:
            async for event in stream:
                now = time.monotonic()
                frame = event.frame
                rgb = np.frombuffer(frame.data, dtype=np.uint8)
                rgb = rgb.reshape(frame.height, frame.width, 3)
                if frame.height <= COUNTER_ROWS:
                    continue  # not a test frame (seen as a track ends)
                colour = mean_color(rgb, content_region(frame.width, frame.height))
                frames.append([now, decode_counter(rgb), list(colour)])
        finally:
            await stream.aclose()


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    identity = getattr(value, "identity", None)
    if isinstance(identity, str):
        return {"identity": identity, "sid": getattr(value, "sid", "")}
    sid = getattr(value, "sid", None)
    if isinstance(sid, str):  # a publication or a track
        return {"sid": sid, "name": getattr(value, "name", "")}
    return repr(value)


async def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LKDESK_AGENT_LOG", "WARNING"),
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def write(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    agent = SdkAgent(write)
    commands: dict[str, Handler] = {
        name: getattr(agent, name)
        for name in ("connect", "publish_video", "frame_log", "state", "disconnect")
    }
    pending: set[asyncio.Task[None]] = set()

    async def run(request: dict[str, Any]) -> None:
        try:
            result = await commands[request["cmd"]](**request.get("args", {}))
            write({"id": request["id"], "ok": True, "result": result})
        except Exception as exc:  # noqa: BLE001 - reported to the driver, which decides
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
        with contextlib.suppress(Exception):
            await agent.close()


if __name__ == "__main__":
    asyncio.run(main())

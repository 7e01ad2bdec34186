"""The lkdesk agent (lkdesk_agent.py) plus the engine adaptations of issue 11, for fault tests.

Run as ``python -m tests.integration.engine_agent`` (usually in a :class:`NetnsHost`, see
:func:`engine_agent`). On top of the plain agent's commands:

* ``install_recovery``: lkdesk's video receiver recovery on every subscribed video receiver
  (the engine will do this itself; lkdesk's Room does not yet);
* ``frame_log``: every decoded frame of a participant's video (time, counter, colour);
* ``prepare_resume`` / ``resume``: the test-only resume driver (ICE restarts on both PCs);
* ``ice_info``: the local ICE candidates and states of both peer connections;
* ``send_data`` / ``data_log``: reliable data packets out and in, for content checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack

from lkdesk import rtc
from lkdesk.rtc.engine.adapt.receiver_recovery import VideoRecovery, install_video_recovery
from tests.integration import lkdesk_agent
from tests.integration.analysis import content_region, decode_counter, mean_color
from tests.integration.netns import NetnsHost
from tests.integration.remote_lkdesk import RemoteLkdesk
from tests.integration.resume_driver import ResumeDriver

_ROOT = Path(__file__).resolve().parents[2]
EXTRA_COMMANDS = (
    "install_recovery",
    "recovery_stats",
    "frame_log",
    "prepare_resume",
    "resume",
    "ice_info",
    "send_data",
    "data_log",
)


class EngineAgent(lkdesk_agent.Agent):
    """The plain agent, plus recovery, resume and per-frame logging."""

    def __init__(self, write: Callable[[dict[str, Any]], None]) -> None:
        super().__init__(write)
        self._frames: dict[str, list[list[Any]]] = {}
        self._recoveries: list[VideoRecovery] = []
        self._driver: ResumeDriver | None = None
        self._data: list[dict[str, Any]] = []
        self.room.on("data_received", self._on_data)

    # ----- video --------------------------------------------------------------------------

    async def _watch_video(self, track: rtc.RemoteTrack, identity: str) -> None:
        """Every decoded frame: (monotonic time, counter, mean colour of the content)."""
        frames = self._frames.setdefault(identity, [])
        stream = rtc.VideoStream(track, capacity=4)
        try:
            async for event in stream:
                frame = event.frame.data
                height, width = frame.shape[:2]
                colour = mean_color(frame, content_region(width, height))
                frames.append([time.monotonic(), decode_counter(frame), list(colour)])
        finally:
            await stream.aclose()

    async def frame_log(self, identity: str, since: float = 0.0) -> list[list[Any]]:
        return [f for f in self._frames.get(identity, []) if f[0] >= since]

    def _subscriber_pc(self) -> RTCPeerConnection:
        subscriber = self.room._subscriber
        assert subscriber is not None, "not connected"
        return subscriber._pc

    async def install_recovery(self) -> int:
        """Recovery on every video receiver of the subscriber PC, now and as they come."""
        pc = self._subscriber_pc()
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "video":
                self._recoveries.append(install_video_recovery(transceiver.receiver))

        def on_track(track: MediaStreamTrack) -> None:
            for transceiver in pc.getTransceivers():
                if transceiver.receiver.track is track and track.kind == "video":
                    self._recoveries.append(install_video_recovery(transceiver.receiver))

        pc.on("track", on_track)
        return len(self._recoveries)

    async def recovery_stats(self) -> list[dict[str, int]]:
        return [vars(r.stats) for r in self._recoveries]

    # ----- resume -------------------------------------------------------------------------

    async def prepare_resume(self) -> None:
        """From now on signalling loss is this agent's to handle (see resume_driver.py)."""
        self._driver = ResumeDriver(self.room)
        self._driver.hold_signal()

    async def resume(self) -> dict[str, Any]:
        assert self._driver is not None, "prepare_resume first"
        report = await self._driver.resume()
        return report.as_dict()

    async def ice_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"subscriber": _ice_of(self._subscriber_pc())}
        media = self.room._local_media
        if media is not None and media.connection is not None:
            info["publisher"] = _ice_of(media.connection._pc)
        return info

    # ----- data ---------------------------------------------------------------------------

    async def send_data(self, text: str) -> float:
        assert self.room.local_participant is not None
        await self.room.local_participant.publish_data(text, reliable=True, topic="restart")
        return time.monotonic()

    def _on_data(self, packet: rtc.DataPacket) -> None:
        sender = getattr(packet.participant, "identity", None)
        self._data.append({"t": time.monotonic(), "from": sender, "text": packet.data.decode()})

    async def data_log(self) -> list[dict[str, Any]]:
        return list(self._data)

    async def close(self) -> None:
        if self._driver is not None:
            await self._driver.aclose()
        await super().close()


def _ice_of(pc: RTCPeerConnection) -> dict[str, Any]:
    sctp = pc.sctp
    transport = (
        sctp.transport.transport
        if sctp is not None
        else pc.getTransceivers()[0].receiver.transport.transport
    )
    return {
        "ice_state": pc.iceConnectionState,
        "connection_state": pc.connectionState,
        "local": [f"{c.ip}:{c.port}" for c in transport.iceGatherer.getLocalCandidates()],
    }


async def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LKDESK_AGENT_LOG", "WARNING"),
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    for noisy in ("aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def write(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    agent = EngineAgent(write)
    names = (
        "connect",
        "publish_video",
        "publish_tone",
        "start_chat",
        "chat_report",
        "video_report",
        "state",
        "disconnect",
        *EXTRA_COMMANDS,
    )
    commands = {name: getattr(agent, name) for name in names}
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


@contextlib.asynccontextmanager
async def engine_agent(host: NetnsHost | None, log_dir: Path) -> AsyncIterator[RemoteLkdesk]:
    """Start this agent (inside ``host`` when given); closed and reaped afterwards."""
    log_path = log_dir / f"engine-agent-{os.getpid()}-{id(log_dir) % 10_000}.log"
    argv = [sys.executable, "-m", "tests.integration.engine_agent"]
    if host is not None:
        argv = host.command(*argv)
    env = dict(os.environ, LKDESK_AGENT_LOG=os.environ.get("LKDESK_AGENT_LOG", "INFO"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            cwd=_ROOT,
            env=env,
        )
    agent = RemoteLkdesk(proc, log_path)
    try:
        yield agent
    finally:
        await agent.aclose()


if __name__ == "__main__":
    asyncio.run(main())

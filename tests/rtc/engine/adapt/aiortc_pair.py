"""Two aiortc peers in one process, connected over the sandbox's veth address.

aioice never offers loopback candidates, so these tests need the sandbox network namespace
(tests/sandbox/run-in-sandbox.sh): both peers then gather 10.77.0.1 and talk over it. The
old ICE path is broken with iptables rules on its UDP ports, inside that namespace only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack
from aiortc.rtcdatachannel import RTCDataChannel

from lkdesk.rtc.engine.adapt.ice_restart import IceRestarter
from lkdesk.rtc.engine.adapt.receiver_recovery import install_video_recovery

COLOUR = (200, 40, 120)
WAIT_S = 10.0


def require_sandbox() -> None:
    """Skip (or fail under CI) outside the network-namespace sandbox."""
    if os.environ.get("LKDESK_SANDBOX") == "1":
        return
    hint = "needs the sandbox network namespace: run tests/sandbox/run-in-sandbox.sh"
    if os.environ.get("CI") == "true":
        pytest.fail(hint, pytrace=False)
    pytest.skip(hint)


class ColourTrack(VideoStreamTrack):
    """A solid-colour 320x240 video at 30 fps."""

    def __init__(self, colour: tuple[int, int, int] = COLOUR) -> None:
        super().__init__()
        self._image = np.full((240, 320, 3), colour, dtype=np.uint8)

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame.from_ndarray(self._image, format="rgb24")
        frame.pts = pts
        frame.time_base = time_base
        return frame


@dataclass
class Received:
    """What one peer received: decoded frames (time, pts, mean colour) and messages."""

    frames: list[tuple[float, int, tuple[float, ...]]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)

    def frames_after(self, moment: float) -> list[tuple[float, int, tuple[float, ...]]]:
        return [f for f in self.frames if f[0] > moment]


@dataclass
class Peer:
    name: str
    pc: RTCPeerConnection
    restarter: IceRestarter
    received: Received = field(default_factory=Received)
    channel: RTCDataChannel | None = None

    def local_ports(self) -> list[int]:
        """UDP ports of the current ICE session's local candidates."""
        sctp = self.pc.sctp
        assert sctp is not None
        return [c.port for c in sctp.transport.transport.iceGatherer.getLocalCandidates()]


class Pair:
    """``a`` offers first (a video track and the ``_reliable`` channel), ``b`` answers."""

    def __init__(self, *, timeout_s: float = 10.0) -> None:
        config = RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        a_pc, b_pc = RTCPeerConnection(config), RTCPeerConnection(config)
        self.a = Peer("a", a_pc, IceRestarter(a_pc, timeout_s=timeout_s))
        self.b = Peer("b", b_pc, IceRestarter(b_pc, timeout_s=timeout_s))
        self._tasks: set[asyncio.Task[None]] = set()
        self._track = ColourTrack()
        a_pc.addTransceiver(self._track, direction="sendonly")
        self.a.channel = a_pc.createDataChannel("_reliable")
        self.a.channel.on("message", self.a.received.messages.append)
        for peer in (self.a, self.b):
            peer.pc.on("connectionstatechange", self._state_recorder(peer))
        b_pc.on("datachannel", self._on_datachannel)
        b_pc.on("track", self._on_track)

    def _state_recorder(self, peer: Peer) -> object:
        def record() -> None:
            peer.received.states.append(peer.pc.connectionState)

        return record

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        self.b.channel = channel
        channel.on("message", self.b.received.messages.append)

    def _on_track(self, track: MediaStreamTrack) -> None:
        # As the engine will: outages here (blocked paths, expired consent) lose packets the
        # sender cannot always resend, and aiortc's own receiver would then stay frozen.
        for transceiver in self.b.pc.getTransceivers():
            if transceiver.receiver.track is track:
                install_video_recovery(transceiver.receiver)
        task = asyncio.get_running_loop().create_task(self._pump(track), name="test-pump")
        self._tasks.add(task)

    async def _pump(self, track: MediaStreamTrack) -> None:
        frames = self.b.received.frames
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                colour = tuple(frame.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0))
                frames.append((time.monotonic(), int(frame.pts or 0), colour))

    async def connect(self) -> None:
        await negotiate(self.a, self.b, restart=False)
        await until(lambda: self.connected() and self.b.channel is not None)
        assert self.a.channel is not None and self.b.channel is not None
        await until(lambda: self.a.channel.readyState == "open")  # type: ignore[union-attr]
        await until(lambda: len(self.b.received.frames) >= 5)

    def connected(self) -> bool:
        return all(p.pc.connectionState == "connected" for p in (self.a, self.b))

    async def aclose(self) -> None:
        for peer in (self.a, self.b):
            await peer.restarter.aclose()
            await peer.pc.close()
        tasks, self._tasks = self._tasks, set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._track.stop()


async def negotiate(offerer: Peer, answerer: Peer, *, restart: bool) -> None:
    """One offer/answer; with ``restart`` the offerer restarts ICE and the answerer follows."""
    if restart:
        await offerer.restarter.prepare()
    await offerer.pc.setLocalDescription(await offerer.pc.createOffer())
    offer = offerer.pc.localDescription
    if restart:
        assert answerer.restarter.is_restart(offer.sdp)
        await answerer.restarter.prepare()
    await answerer.pc.setRemoteDescription(offer)
    await answerer.pc.setLocalDescription(await answerer.pc.createAnswer())
    if restart:
        answerer.restarter.start()
    await offerer.pc.setRemoteDescription(answerer.pc.localDescription)
    if restart:
        offerer.restarter.start()


async def until(condition: object, deadline_s: float = WAIT_S) -> None:
    """Poll ``condition()`` every 20 ms; TimeoutError after ``deadline_s``."""
    assert callable(condition)
    async with asyncio.timeout(deadline_s):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)


async def no_tasks_left() -> None:
    """Fail if a task outlives the test (aiortc's own close() task gets a moment to end)."""

    def others() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    with contextlib.suppress(TimeoutError):
        await until(lambda: not others(), deadline_s=1.0)
    assert others() == [], f"tasks left running: {others()}"


@contextlib.contextmanager
def udp_ports_dropped(ports: list[int]) -> Iterator[None]:
    """Drop UDP to these ports inside the sandbox namespace (both peers live there)."""
    rules = [["INPUT", "-p", "udp", "--dport", str(port), "-j", "DROP"] for port in ports]
    added = []
    try:
        for rule in rules:
            subprocess.run(["iptables", "-w", "-I", *rule], check=True, timeout=10)
            added.append(rule)
        yield
    finally:
        for rule in added:
            subprocess.run(["iptables", "-w", "-D", *rule], check=True, timeout=10)

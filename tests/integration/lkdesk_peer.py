"""lkdesk's own client as a test participant: records events, samples media content."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any, get_args

import numpy as np
from livekit.protocol import models as proto_models

from lkdesk import rtc
from lkdesk.rtc.room import EventTypes

EVENT_NAMES: tuple[str, ...] = get_args(EventTypes)


class PacketTap:
    """Records the DataPackets a room sends and receives, to check the wire format.

    Peers decode both formats alike, so only the packets show whether a stream went inline
    or deflated, or an RPC as a stream or a packet.
    """

    def __init__(self, room: rtc.Room) -> None:
        self.sent: list[proto_models.DataPacket] = []
        self.received: list[proto_models.DataPacket] = []
        data = room._data
        receive, send = data.on_packet, data.transport.send

        def on_packet(packet: proto_models.DataPacket) -> None:
            self.received.append(packet)
            receive(packet)

        async def on_send(packet: proto_models.DataPacket, *, reliable: bool) -> None:
            self.sent.append(packet)
            await send(packet, reliable=reliable)

        data.on_packet = on_packet  # type: ignore[method-assign]
        data.transport.send = on_send  # type: ignore[method-assign]

    @staticmethod
    def stream_packets(
        packets: list[proto_models.DataPacket], topic: str
    ) -> list[proto_models.DataPacket]:
        """The header, chunks and trailer of the streams on ``topic``."""
        ids = {
            p.stream_header.stream_id
            for p in packets
            if p.WhichOneof("value") == "stream_header" and p.stream_header.topic == topic
        }
        out = []
        for p in packets:
            kind = p.WhichOneof("value") or ""
            streamed = kind in ("stream_header", "stream_chunk", "stream_trailer")
            if streamed and getattr(p, kind).stream_id in ids:
                out.append(p)
        return out

    @staticmethod
    def kinds(packets: list[proto_models.DataPacket]) -> list[str]:
        return [p.WhichOneof("value") or "" for p in packets]


class LkdeskPeer:
    """Wraps :class:`lkdesk.rtc.Room`; every event is kept as (monotonic time, args)."""

    def __init__(self) -> None:
        self.room = rtc.Room()
        self.events: defaultdict[str, list[tuple[float, tuple[Any, ...]]]] = defaultdict(list)
        self._changed = asyncio.Event()
        for name in EVENT_NAMES:
            self.room.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Callable[..., None]:
        def record(*args: Any) -> None:
            self.events[name].append((time.monotonic(), args))
            self._changed.set()

        return record

    async def connect(self, url: str, token: str, **options: Any) -> None:
        await self.room.connect(url, token, rtc.RoomOptions(**options))

    async def aclose(self) -> None:
        await self.room.disconnect()

    async def wait_for(
        self,
        event: str,
        predicate: Callable[..., bool] = lambda *_: True,
        *,
        deadline_s: float = 10.0,
        since: float = 0.0,
    ) -> tuple[float, tuple[Any, ...]]:
        """The first recorded ``event`` after ``since`` whose args satisfy ``predicate``."""
        async with asyncio.timeout(deadline_s):
            while True:
                for when, args in self.events[event]:
                    if when >= since and predicate(*args):
                        return when, args
                self._changed.clear()
                await self._changed.wait()

    async def wait_until(self, condition: Callable[[], bool], *, deadline_s: float = 10.0) -> None:
        async with asyncio.timeout(deadline_s):
            while not condition():
                self._changed.clear()
                try:
                    async with asyncio.timeout(0.1):
                        await self._changed.wait()
                except TimeoutError:
                    pass

    def track_of(self, identity: str, kind: rtc.TrackKind) -> rtc.RemoteTrack | None:
        participant = self.room.remote_participants.get(identity)
        if participant is None:
            return None
        for publication in participant.track_publications.values():
            if publication.kind == kind and publication.track is not None:
                return publication.track
        return None

    async def subscribed(
        self, identity: str, kind: rtc.TrackKind, deadline_s: float = 15.0
    ) -> rtc.RemoteTrack:
        await self.wait_until(
            lambda: self.track_of(identity, kind) is not None, deadline_s=deadline_s
        )
        track = self.track_of(identity, kind)
        assert track is not None
        return track


async def sample_video(
    track: rtc.RemoteTrack, frames: int, deadline_s: float = 10.0
) -> list[np.ndarray]:
    """``frames`` decoded RGB frames from ``track``."""
    stream = rtc.VideoStream(track)
    out: list[np.ndarray] = []
    try:
        async with asyncio.timeout(deadline_s):
            async for event in stream:
                out.append(event.frame.data)
                if len(out) >= frames:
                    break
    finally:
        await stream.aclose()
    return out


async def sample_audio(
    track: rtc.RemoteTrack, seconds: float, deadline_s: float = 10.0
) -> np.ndarray:
    """``seconds`` of mono 48 kHz PCM from ``track`` (after a short settling time)."""
    stream = rtc.AudioStream(track)
    chunks: list[np.ndarray] = []
    needed = int(48_000 * (seconds + 0.2))
    try:
        async with asyncio.timeout(deadline_s):
            async for event in stream:
                chunks.append(event.frame.data[:, 0])
                if sum(len(c) for c in chunks) >= needed:
                    break
    finally:
        await stream.aclose()
    return np.concatenate(chunks)[int(48_000 * 0.2) :]


async def eventually(condition: Callable[[], bool], deadline_s: float = 10.0) -> None:
    """Poll ``condition`` every 50 ms until true; TimeoutError after ``deadline_s``."""
    async with asyncio.timeout(deadline_s):
        while True:
            if condition():
                return
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def camera_peer_and_lkdesk(
    server: Any, room: str, identity: str = "cam", **video: Any
) -> AsyncIterator[tuple[Any, LkdeskPeer, rtc.RemoteTrack]]:
    """An official-SDK peer publishing a camera, lkdesk joined and subscribed to it."""
    from tests.integration.peers import SdkPeer

    peer = SdkPeer(server.ws_url, server.token(identity, room))
    lk = LkdeskPeer()
    try:
        await peer.connect()
        await peer.publish_video(**video)
        await lk.connect(server.ws_url, server.token("lkdesk", room))
        yield peer, lk, await lk.subscribed(identity, rtc.TrackKind.KIND_VIDEO)
    finally:
        await lk.aclose()
        await peer.aclose()

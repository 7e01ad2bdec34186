"""Test peers built on the official LiveKit Python SDK (never used by lkdesk itself).

``SdkPeer`` joins a room, publishes synthetic media (a solid-colour video with a decodable
frame counter, a sine tone), records every room event, and can collect received video
frames and audio samples for analysis (see tests/integration/analysis.py).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, get_args

import numpy as np
import numpy.typing as npt
from livekit import rtc
from livekit.rtc.room import EventTypes

from tests.integration.analysis import FrameRGB, make_frame

_log = logging.getLogger(__name__)

AUDIO_RATE = 48_000
AUDIO_FRAME_MS = 10
CONNECT_TIMEOUT_S = 15.0
EVENT_NAMES: tuple[EventTypes, ...] = get_args(EventTypes)


@dataclass(frozen=True)
class ReceivedFrame:
    """A decoded video frame and the monotonic time it reached the test."""

    time: float
    rgb: FrameRGB


@dataclass
class _Producer:
    task: asyncio.Task[None]
    publication: rtc.LocalTrackPublication
    source: rtc.VideoSource | rtc.AudioSource


class SdkPeer:
    """An official-SDK participant. Use as ``async with SdkPeer(url, token, ...) as peer``.

    ``encryption`` joins with the SDK's end-to-end encryption (``RoomOptions.encryption``).
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        ice_servers: Sequence[str] = (),
        auto_subscribe: bool = True,
        encryption: rtc.E2EEOptions | None = None,
    ) -> None:
        self._url = url
        self._token = token
        self._options = rtc.RoomOptions(
            auto_subscribe=auto_subscribe,
            connect_timeout=CONNECT_TIMEOUT_S,
            rtc_config=rtc.RtcConfiguration(
                ice_servers=[rtc.IceServer(urls=list(ice_servers))] if ice_servers else []
            ),
            encryption=encryption,
        )
        self.room = rtc.Room()
        self.events: defaultdict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self._changed = asyncio.Event()
        self._producers: dict[str, _Producer] = {}
        for name in EVENT_NAMES:
            self.room.on(name, self._recorder(name))

    # -- lifecycle ---------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def connect(self) -> None:
        async with asyncio.timeout(CONNECT_TIMEOUT_S + 5):
            await self.room.connect(self._url, self._token, self._options)
        _log.info("sdk peer %s joined %s", self.identity, self.room.name)

    async def aclose(self) -> None:
        """Stop every producer, then leave the room."""
        for name in list(self._producers):
            await self._stop_producer(name)
        try:
            async with asyncio.timeout(10):
                await self.room.disconnect()
        except TimeoutError:
            _log.warning("sdk peer %s: disconnect timed out", self.room.local_participant.identity)

    @property
    def identity(self) -> str:
        return self.room.local_participant.identity

    # -- events ------------------------------------------------------------------------

    def _recorder(self, name: EventTypes) -> Callable[..., None]:
        def record(*args: Any) -> None:
            self.events[name].append(args)
            self._changed.set()

        return record

    async def wait_for(
        self,
        event: EventTypes,
        predicate: Callable[..., bool] = lambda *_: True,
    ) -> tuple[Any, ...]:
        """First recorded ``event`` (past or future) whose args satisfy ``predicate``.

        Waits without a bound: wrap the call in ``asyncio.timeout``.
        """
        if event not in EVENT_NAMES:
            raise ValueError(f"unknown room event {event!r}")
        while True:
            for args in self.events[event]:
                if predicate(*args):
                    return args
            self._changed.clear()
            await self._changed.wait()

    async def subscribed_track(self, identity: str, track_name: str) -> rtc.RemoteTrack:
        """The track ``track_name`` of participant ``identity`` once subscribed (unbounded)."""
        args = await self.wait_for(
            "track_subscribed",
            lambda _t, pub, part: part.identity == identity and pub.name == track_name,
        )
        track: rtc.RemoteTrack = args[0]
        return track

    async def room_track_after(
        self, identity: str, track_name: str, old_sid: str
    ) -> rtc.RemoteTrack:
        """``track_name`` of ``identity`` subscribed from a session other than ``old_sid``."""
        args = await self.wait_for(
            "track_subscribed",
            lambda _t, pub, part: (
                part.identity == identity and pub.name == track_name and part.sid != old_sid
            ),
        )
        track: rtc.RemoteTrack = args[0]
        return track

    # -- publishing --------------------------------------------------------------------

    async def publish_video(
        self,
        color: tuple[int, int, int] = (255, 0, 0),
        width: int = 320,
        height: int = 240,
        fps: int = 30,
        name: str = "camera",
        source: rtc.TrackSource.ValueType = rtc.TrackSource.SOURCE_CAMERA,
        codec: rtc.VideoCodec.ValueType = rtc.VideoCodec.VP8,
        scalability_mode: str | None = None,
    ) -> rtc.LocalTrackPublication:
        """Publish a solid ``color`` video (``codec``, VP8 by default) whose bottom rows carry
        a frame counter.

        ``scalability_mode="L1T1"`` turns off temporal layers (the server may otherwise
        forward only the base layer to a subscriber)."""
        video_source = rtc.VideoSource(width, height)
        track = rtc.LocalVideoTrack.create_video_track(name, video_source)
        options = rtc.TrackPublishOptions(source=source, video_codec=codec, simulcast=False)
        if scalability_mode is not None:
            options.scalability_mode = scalability_mode
        publication = await self.room.local_participant.publish_track(track, options)
        task = asyncio.create_task(
            _produce_video(video_source, color, width, height, fps), name=f"video:{name}"
        )
        self._producers[name] = _Producer(task, publication, video_source)
        return publication

    async def publish_tone(
        self, freq_hz: float, amplitude: float = 0.3, name: str = "mic", red: bool = True
    ) -> rtc.LocalTrackPublication:
        """Publish a continuous-phase sine tone, 48 kHz mono, paced in real time.

        ``red=False`` sends plain Opus (with RED the server strips the redundancy for
        subscribers like lkdesk, which then get half the bytes the peer sent)."""
        audio_source = rtc.AudioSource(AUDIO_RATE, 1)
        track = rtc.LocalAudioTrack.create_audio_track(name, audio_source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE, red=red)
        publication = await self.room.local_participant.publish_track(track, options)
        task = asyncio.create_task(
            _produce_tone(audio_source, freq_hz, amplitude), name=f"tone:{name}"
        )
        self._producers[name] = _Producer(task, publication, audio_source)
        return publication

    async def unpublish(self, track_name: str) -> None:
        await self._stop_producer(track_name)

    async def _stop_producer(self, name: str) -> None:
        producer = self._producers.pop(name)
        producer.task.cancel()
        await asyncio.wait([producer.task])  # our own cancellation still propagates
        if not producer.task.cancelled() and (error := producer.task.exception()) is not None:
            raise RuntimeError(f"producer {name!r} had failed") from error
        if self.room.isconnected():
            await self.room.local_participant.unpublish_track(producer.publication.sid)
        await producer.source.aclose()

    # -- participant passthroughs --------------------------------------------------------

    async def set_metadata(self, metadata: str) -> None:
        await self.room.local_participant.set_metadata(metadata)

    async def set_name(self, name: str) -> None:
        await self.room.local_participant.set_name(name)

    async def set_attributes(self, attributes: dict[str, str]) -> None:
        await self.room.local_participant.set_attributes(attributes)

    # -- receiving -----------------------------------------------------------------------

    async def collect_video(self, track: rtc.RemoteTrack, *, frames: int) -> list[ReceivedFrame]:
        """The next ``frames`` decoded frames of ``track`` as RGB arrays (unbounded wait)."""
        stream = rtc.VideoStream(track, format=rtc.VideoBufferType.RGB24)
        received: list[ReceivedFrame] = []
        try:
            async for event in stream:
                frame = event.frame
                rgb = np.frombuffer(frame.data, dtype=np.uint8)
                rgb = rgb.reshape(frame.height, frame.width, 3).copy()
                received.append(ReceivedFrame(time.monotonic(), rgb))
                if len(received) >= frames:
                    break
        finally:
            await stream.aclose()
        return received

    async def collect_audio(
        self, track: rtc.RemoteTrack, *, seconds: float
    ) -> npt.NDArray[np.int16]:
        """``seconds`` of received audio of ``track``, 48 kHz mono int16 (unbounded wait)."""
        stream = rtc.AudioStream(track, sample_rate=AUDIO_RATE, num_channels=1)
        chunks: list[npt.NDArray[np.int16]] = []
        wanted = int(seconds * AUDIO_RATE)
        have = 0
        try:
            async for event in stream:
                chunk = np.frombuffer(event.frame.data, dtype=np.int16).copy()
                chunks.append(chunk)
                have += chunk.size
                if have >= wanted:
                    break
        finally:
            await stream.aclose()
        return np.concatenate(chunks)[:wanted] if chunks else np.zeros(0, np.int16)


async def _produce_video(
    source: rtc.VideoSource, color: tuple[int, int, int], width: int, height: int, fps: int
) -> None:
    alpha = np.full((height, width, 1), 255, dtype=np.uint8)
    start = time.monotonic()
    counter = 0
    while True:
        rgba = np.concatenate([make_frame(color, counter, width, height), alpha], axis=2)
        frame = rtc.VideoFrame(width, height, rtc.VideoBufferType.RGBA, rgba.tobytes())
        source.capture_frame(frame)
        counter += 1
        delay = start + counter / fps - time.monotonic()
        if delay < -1.0:  # fell far behind (e.g. a stalled loop): restart the clock
            start = time.monotonic() - counter / fps
            delay = 0.0
        await asyncio.sleep(max(delay, 0.0))


async def _produce_tone(source: rtc.AudioSource, freq_hz: float, amplitude: float) -> None:
    n = AUDIO_RATE * AUDIO_FRAME_MS // 1000
    step = 2 * math.pi * freq_hz / AUDIO_RATE
    scale = amplitude * 32767
    start = time.monotonic()
    produced = 0
    while True:
        phase = step * (produced + np.arange(n))
        samples = (scale * np.sin(phase)).astype(np.int16)
        frame = rtc.AudioFrame(samples.tobytes(), AUDIO_RATE, 1, n)
        await source.capture_frame(frame)
        produced += n
        # Keep ~40 ms queued ahead of real time so scheduling jitter never starves it.
        delay = start + produced / AUDIO_RATE - 0.04 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

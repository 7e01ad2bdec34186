"""Hearing the others: one playback mixer, one input per remote audio track; a test tone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import numpy as np

from lkdesk import media, rtc
from lkdesk.core.tasks import TaskSet
from lkdesk.session import media_links

logger = logging.getLogger(__name__)

TONE_HZ = 660.0
TONE_S = 0.8


class RemoteAudio:
    """Plays subscribed audio tracks on the chosen speaker; the device opens on first use."""

    def __init__(
        self,
        tasks: TaskSet,
        on_problem: Callable[[str], None],
        reference: media.EchoReference | None = None,
    ) -> None:
        self._tasks = tasks
        self._reference = reference  # the playback mix feeds the microphone's echo canceller
        self._on_problem = on_problem
        self._playback: media.AudioPlayback | None = None
        self._opening = asyncio.Lock()
        self._closed = False
        self._failed = False
        self._links: dict[str, asyncio.Task[None]] = {}
        self.device: str | None = None

    def add(self, track: rtc.RemoteTrack) -> None:
        """Start playing ``track`` (from an event handler: the work runs as a task)."""
        self._tasks.spawn(self._add(track), f"play-{track.sid}")

    async def _add(self, track: rtc.RemoteTrack) -> None:
        playback = await self._ensure()
        if playback is None or track.sid in self._links:
            return
        output = playback.add_input(track.sid)
        self._links[track.sid] = self._tasks.spawn(
            media_links.play_track(track, output), f"audio-{track.sid}"
        )

    def remove(self, sid: str) -> None:
        link = self._links.pop(sid, None)
        if link is not None:
            link.cancel()

    async def set_device(self, device: str | None) -> None:
        self.device = device
        if self._playback is not None:
            await self._playback.set_device(device)

    async def _ensure(self) -> media.AudioPlayback | None:
        # One opening at a time: tracks subscribed together each call this, and every
        # caller that found no playback opened its own; all but the last were never closed
        # (their PortAudio threads ran on into interpreter exit).
        async with self._opening:
            if self._playback is not None or self._failed or self._closed:
                return self._playback
            playback = media.AudioPlayback(self.device, reference=self._reference)
            try:
                await playback.start()
            except media.DeviceError as exc:
                self._failed = True
                await playback.aclose()
                self._on_problem(f"You cannot hear the others: {exc}")
                return None
            self._playback = playback
            return playback

    async def aclose(self) -> None:
        self._closed = True
        for sid in list(self._links):
            self.remove(sid)
        async with self._opening:  # one being opened is closed too
            playback, self._playback = self._playback, None
        if playback is not None:
            await playback.aclose()


async def play_test_tone(device: str | None) -> None:
    """A short, soft tone on ``device``; raises ``DeviceError`` saying what is wrong."""
    playback = media.AudioPlayback(device)
    await playback.start()
    try:
        output = playback.add_input("test-tone")
        rate, frame = 48_000, 480
        t = np.arange(int(rate * TONE_S)) / rate
        envelope = np.minimum(1.0, np.minimum(t, TONE_S - t) / 0.05)
        tone = (0.25 * 32767 * envelope * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.int16)
        loop = asyncio.get_running_loop()
        began = loop.time()
        for i, start in enumerate(range(0, tone.size, frame)):
            output.push(rtc.AudioFrame(tone[start : start + frame, None].copy(), rate, 1))
            ahead = began + (i + 1) * frame / rate - 0.05 - loop.time()  # keep 50 ms queued
            if ahead > 0:
                await asyncio.sleep(ahead)
        await asyncio.sleep(0.15)
        output.close()
    finally:
        await playback.aclose()

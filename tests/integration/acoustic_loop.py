"""A real acoustic loop in the sandbox's PulseAudio, and the people talking into it.

``AcousticLoop`` builds, per test: a "speaker" null sink (lkdesk plays into it), a "room"
null sink whose monitor is remapped as the "microphone" source, and module-loopback from the
speaker's monitor into the room with a fixed latency and attenuation (the echo path). Near-end
speech and noise are played into the room with paplay. Speakers/microphones are made the
PulseAudio defaults while the loop exists (lkdesk opens the ALSA "default"/"pulse" devices,
which follow them); everything is unloaded and the old defaults restored afterwards.

``FarEnd`` publishes speech from an official-SDK peer; ``PeerRecorder`` records lkdesk's
published track at that peer with arrival times, so phases can be cut out by time.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from livekit import rtc

from tests.media.speech import RATE, write_wav

Int16 = npt.NDArray[np.int16]
FRAME = RATE // 100
PLAYER_LATENCY_MS = 250
"""paplay's buffer for the room's sounds. With 20 ms it ran dry whenever the busy 2-core
machine was slow to schedule it: holes in the "stationary" noise (the suppressor then
re-learned it and let it through at -55 dBFS for a second) and in the near-end speech."""


def pactl(*args: str) -> str:
    done = subprocess.run(["pactl", *args], check=True, capture_output=True, text=True, timeout=10)
    return done.stdout.strip()


def _owner_sink_input(module: str) -> str:
    """The sink input that ``module`` (a module-loopback) created."""
    for block in pactl("list", "sink-inputs").split("\n\n"):
        if re.search(rf"Owner Module: {module}\b", block):
            found = re.search(r"Sink Input #(\d+)", block)
            if found:
                return found.group(1)
    raise RuntimeError(f"no sink input of module {module}")


@dataclass
class AcousticLoop:
    """Speaker sink -> (delay, attenuation) -> room sink -> microphone source."""

    workdir: Path
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    modules: list[str] = field(default_factory=list)
    players: list[subprocess.Popen[bytes]] = field(default_factory=list)
    defaults: tuple[str, str] = ("", "")

    def __post_init__(self) -> None:
        info = pactl("info")
        sink = re.search(r"Default Sink: (\S+)", info)
        source = re.search(r"Default Source: (\S+)", info)
        self.defaults = (sink.group(1) if sink else "", source.group(1) if source else "")
        self.room = f"room_{self.tag}"
        self._load("module-null-sink", f"sink_name={self.room}", "rate=48000")

    def _load(self, *args: str) -> str:
        module = pactl("load-module", *args)
        self.modules.append(module)
        return module

    def add_speaker(self, name: str, delay_ms: int, loss_db: float, rate: int = 48_000) -> str:
        """A speaker sink whose sound reaches the room after ``delay_ms``, ``loss_db`` quieter."""
        sink = f"{name}_{self.tag}"
        self._load("module-null-sink", f"sink_name={sink}", f"rate={rate}")
        loop = self._load(
            "module-loopback",
            f"source={sink}.monitor",
            f"sink={self.room}",
            f"latency_msec={delay_ms}",
            "source_dont_move=true",
            "sink_dont_move=true",
        )
        linear = f"{10 ** (-loss_db / 20):.4f}"  # a linear factor (percentages are cubic)
        pactl("set-sink-input-volume", _owner_sink_input(loop), linear)
        return sink

    def add_microphone(self, name: str) -> str:
        """A microphone source that hears the room."""
        source = f"{name}_{self.tag}"
        self._load("module-remap-source", f"master={self.room}.monitor", f"source_name={source}")
        return source

    def use(self, sink: str, source: str) -> None:
        """Make ``sink``/``source`` the defaults lkdesk's devices open."""
        pactl("set-default-sink", sink)
        pactl("set-default-source", source)

    def play(self, samples: Int16, name: str) -> subprocess.Popen[bytes]:
        """Start playing ``samples`` into the room (near-end speech, noise)."""
        path = write_wav(samples, self.workdir / f"{name}.wav")
        player = subprocess.Popen(
            ["paplay", f"--device={self.room}", f"--latency-msec={PLAYER_LATENCY_MS}", str(path)]
        )
        self.players.append(player)
        return player

    def close(self) -> None:
        for player in self.players:
            if player.poll() is None:
                player.terminate()
            player.wait(timeout=5)
        for module in reversed(self.modules):
            subprocess.run(["pactl", "unload-module", module], capture_output=True, timeout=10)
        sink, source = self.defaults
        if sink:
            subprocess.run(["pactl", "set-default-sink", sink], capture_output=True, timeout=10)
        if source:
            subprocess.run(["pactl", "set-default-source", source], capture_output=True, timeout=10)


class FarEnd:
    """An SDK peer's microphone track that says whatever it is given, in real time."""

    def __init__(self, room: rtc.Room) -> None:
        self._room = room
        self.source = rtc.AudioSource(RATE, 1)
        self.publication: rtc.LocalTrackPublication | None = None

    async def publish(self) -> None:
        track = rtc.LocalAudioTrack.create_audio_track("far-end", self.source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        self.publication = await self._room.local_participant.publish_track(track, options)

    async def say(self, samples: Int16) -> None:
        """Push ``samples`` paced in real time (about 40 ms ahead)."""
        began = time.monotonic()
        for i in range(samples.size // FRAME):
            chunk = samples[i * FRAME : (i + 1) * FRAME]
            await self.source.capture_frame(rtc.AudioFrame(chunk.tobytes(), RATE, 1, FRAME))
            ahead = began + (i + 1) * 0.01 - 0.04 - time.monotonic()
            if ahead > 0:
                await asyncio.sleep(ahead)

    async def aclose(self) -> None:
        await self.source.aclose()


class PeerRecorder:
    """Everything of one remote track the peer receives, with monotonic arrival times."""

    def __init__(self, track: rtc.RemoteTrack) -> None:
        self._stream = rtc.AudioStream(track, sample_rate=RATE, num_channels=1)
        self._chunks: list[tuple[float, Int16]] = []
        self._task = asyncio.create_task(self._run(), name="peer-recorder")

    async def _run(self) -> None:
        async for event in self._stream:
            data = np.frombuffer(event.frame.data, dtype=np.int16).copy()
            self._chunks.append((time.monotonic(), data))

    def between(self, start: float, end: float) -> Int16:
        """What arrived from ``start`` to ``end`` (monotonic seconds)."""
        parts = [data for when, data in self._chunks if start <= when < end]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    async def aclose(self) -> None:
        self._task.cancel()
        await asyncio.wait([self._task])
        await self._stream.aclose()

"""``DemoSession``: a room full of simulated people, so lkdesk shows itself with no server."""

from __future__ import annotations

import asyncio
import logging
import math
import random
import shutil
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from lkdesk.core.tasks import TaskSet
from lkdesk.session.base import Session
from lkdesk.session.demo.cast import AGENDA, CAST, GREETINGS, YOU_LOOK, Actor, reply_to
from lkdesk.session.demo.insights import DemoCaptions, demo_details
from lkdesk.session.demo.speech import Conversation
from lkdesk.session.demo.synth import PersonVideo, SlideVideo
from lkdesk.session.errors import NotAvailableError, NotConnectedError, SessionError
from lkdesk.session.model import (
    Attachment,
    Capabilities,
    Device,
    DeviceKind,
    Feature,
    FileTransfer,
    JoinOptions,
    LocalMedia,
    ParticipantState,
    Quality,
    SessionState,
    ShareKind,
    ShareSource,
    Status,
    TileKey,
    TransferState,
    VideoKind,
)

logger = logging.getLogger(__name__)

_SHARE_SOURCES = (
    ShareSource("demo:slides", ShareKind.SCREEN, "Demo screen (slides)", 1280, 720),
    ShareSource("demo:notes", ShareKind.WINDOW, "Meeting notes - draft", 1280, 720),
)
_DEVICES = {
    DeviceKind.CAMERA: (Device("demo-camera", "Demo camera (synthetic)", DeviceKind.CAMERA),),
    DeviceKind.MICROPHONE: (
        Device("demo-mic", "Demo microphone (simulated)", DeviceKind.MICROPHONE),
    ),
    DeviceKind.SPEAKER: (Device("demo-speaker", "Demo speaker (silent)", DeviceKind.SPEAKER),),
}


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """How lively the demo room is. Tests shorten the delays."""

    people: int = 4  # simulated participants present when you join
    churn: bool = True  # others join and leave over time
    chatter: bool = True  # the simulated people greet you and send a file
    fps: float = 15.0
    connect_delay_s: float = 0.15  # enough to show "Joining…"; a demo has no network to wait for
    reply_delay_s: tuple[float, float] = (1.2, 2.8)
    churn_period_s: float = 25.0
    seed: int | None = None


class DemoSession(Session):
    """Same interface as :class:`~lkdesk.session.call.CallSession`; everything is simulated."""

    def __init__(self, display_name: str = "", config: DemoConfig | None = None) -> None:
        super().__init__(
            room_name="Demo room",
            server_label="Simulated, no server",
            local_identity="you",
            local_name=display_name or "You",
            name_editable=True,
            capabilities=Capabilities(
                system_audio=Feature(False, "The demo room has no computer audio to share.")
            ),
        )
        self.config = config or DemoConfig()
        self._rng = random.Random(self.config.seed)
        self._tasks = TaskSet("demo")
        self._clock_task: asyncio.Task[None] | None = None
        self._preview = (False, False)
        self._actors: dict[str, Actor] = {}
        self._videos: dict[str, PersonVideo] = {}
        self._you_video = PersonVideo("You", YOU_LOOK, mirrored_label=True)  # self-view mirrors
        self._share_videos = {
            "demo:slides": SlideVideo("Q3 review - lkdesk demo"),
            "demo:notes": SlideVideo("Meeting notes - draft"),
        }
        self._slide = self._share_videos["demo:slides"]
        self._conversation = Conversation(self._rng)
        self._captioner = DemoCaptions(self._captions, self._rng)
        self._details: asyncio.Task[None] | None = None
        self._files: dict[str, bytes | Path] = {}
        self._metadata: dict[str, str] = {}
        self._start = 0.0
        self._joined = False

    # ----- devices and preview -------------------------------------------------------------

    def devices(self, kind: DeviceKind) -> tuple[Device, ...]:
        return _DEVICES[kind]

    async def refresh_devices(self) -> None:
        """The demo's devices never change."""

    async def start_preview(self, *, camera: bool, microphone: bool) -> None:
        self._preview = (camera, microphone)
        self._ensure_clock()

    async def stop_preview(self) -> None:
        self._preview = (False, False)

    async def test_speaker(self) -> None:
        await asyncio.sleep(1.2)  # the demo has no sound; the UI shows the test as playing

    async def select_device(self, kind: DeviceKind, device_id: str) -> None:
        if device_id not in {d.id for d in _DEVICES[kind]}:
            raise SessionError("That device is not available in the demo room.")

    # ----- joining -----------------------------------------------------------------------------

    async def join(self, options: JoinOptions) -> None:
        if self._joined:
            raise SessionError("Already in the demo room.")
        self.local_name = options.display_name.strip() or self.local_name
        self._set_status(Status(SessionState.CONNECTING))
        await asyncio.sleep(self.config.connect_delay_s)
        self._joined = True
        self._upsert(ParticipantState(self.local_identity, self.local_name, is_local=True))
        self._set_local_media(LocalMedia(mic_on=options.mic_on, camera_on=options.camera_on))
        for actor in CAST[: self.config.people]:
            self._arrive(actor)
        self._set_status(Status(SessionState.CONNECTED))
        self._ensure_clock()
        if self.config.chatter:
            self._tasks.spawn(self._greet(), "greet")
        if self.config.churn:
            self._tasks.spawn(self._churn(), "churn")

    async def leave(self) -> None:
        await self._end(Status(SessionState.ENDED, "You left the demo room.", by_user=True))

    async def aclose(self) -> None:
        await self._tasks.aclose()
        self._clock_task = None
        self._joined = False
        self.events.off_all()

    async def _end(self, status: Status) -> None:
        await self._tasks.cancel_all()
        self._clock_task = None
        self._joined = False
        self._actors.clear()
        self._clear_participants()
        self._set_status(status)

    # ----- local media ------------------------------------------------------------------------

    async def set_microphone(self, on: bool) -> None:
        self._set_local_media(replace(self.local_media, mic_on=on))

    async def set_camera(self, on: bool) -> None:
        self._set_local_media(replace(self.local_media, camera_on=on))
        if not on:
            self.events.emit("video_ended", TileKey(self.local_identity))

    async def share_sources(self) -> tuple[ShareSource, ...]:
        return _SHARE_SOURCES

    async def share_thumbnail(self, source_id: str, width: int) -> Any:
        video = self._share_videos.get(source_id)
        if video is None:
            return None
        frame = video.frame(asyncio.get_running_loop().time())
        step = max(frame.shape[1] // max(width, 1), 1)
        return np.ascontiguousarray(frame[::step, ::step])

    async def set_screen_share(
        self, on: bool, source_id: str = "", with_audio: bool = False
    ) -> None:
        if with_audio and on:
            raise SessionError("The demo room has no computer audio to share.")
        if source_id:
            if source_id not in self._share_videos:
                raise SessionError("That screen is not available in the demo room.")
            self._slide = self._share_videos[source_id]
        self._set_local_media(replace(self.local_media, screen_on=on))
        if not on:
            self.events.emit("video_ended", TileKey(self.local_identity, VideoKind.SCREEN))

    # ----- chat and files -------------------------------------------------------------------------

    async def send_chat(self, text: str) -> None:
        self._require_joined()
        text = text.strip()
        if not text:
            return
        self._add_chat(self.local_identity, self.local_name, text)
        self._tasks.spawn(self._reply(text), "reply")

    async def retry_chat(self, message_id: str) -> None:
        raise SessionError("In the demo room every message is delivered; nothing to resend.")

    async def send_file(self, path: Path) -> None:
        self._require_joined()
        size = (await asyncio.to_thread(path.stat)).st_size
        transfer = FileTransfer(uuid.uuid4().hex, path.name, size, 0, TransferState.ACTIVE, True)
        self._files[transfer.id] = path
        await self._simulate_transfer(transfer, self.local_identity, self.local_name)

    async def save_file(self, transfer_id: str, destination: Path) -> None:
        content = self._files.get(transfer_id)
        if content is None:
            raise SessionError("That file is no longer available; ask the sender to send it again.")
        if isinstance(content, Path):
            await asyncio.to_thread(shutil.copyfile, content, destination)
        else:
            await asyncio.to_thread(destination.write_bytes, content)
        self.events.emit("file_saved", transfer_id, destination)

    async def _simulate_transfer(self, transfer: FileTransfer, sender: str, name: str) -> None:
        self._set_transfer(transfer)
        steps = 8
        for step in range(1, steps + 1):
            await asyncio.sleep(0.15)
            done = transfer.size * step // steps
            self._set_transfer(replace(transfer, transferred=done))
        self._set_transfer(replace(transfer, transferred=transfer.size, state=TransferState.DONE))
        attachment = Attachment(transfer.id, transfer.file_name, transfer.size)
        self._add_chat(sender, name, "", attachment=attachment)

    # ----- admin (you host the demo room) ---------------------------------------------------

    async def mute_participant(self, identity: str) -> None:
        if self._update(identity, mic_on=False, speaking=False, audio_level=0.0) is not None:
            self._notice(f"You muted {self._name(identity)}.")

    async def remove_participant(self, identity: str) -> None:
        name = self._name(identity)
        self._depart(identity, "removed")
        self._notice(f"You removed {name} from the room.")

    async def set_participant_can_publish(self, identity: str, allowed: bool) -> None:
        changes: dict[str, object] = {"can_publish": allowed}
        if not allowed:
            changes.update(mic_on=False, camera_on=False, screen_on=False, speaking=False)
        self._update(identity, **changes)

    async def rename_participant(self, identity: str, name: str) -> None:
        self._update(identity, name=name.strip() or self._name(identity))

    async def set_participant_metadata(self, identity: str, metadata: str) -> None:
        self._metadata[identity] = metadata
        self._notice(f"Metadata of {self._name(identity)} updated.")

    async def move_participant(self, identity: str, room: str) -> None:
        self._depart(identity, f"moved to {room}")

    async def dial_phone(self, phone_number: str, trunk_id: str) -> None:
        raise NotAvailableError("The demo room cannot call phones; join a LiveKit server.")

    # ----- simulation ----------------------------------------------------------------------------

    def _require_joined(self) -> None:
        if not self._joined:
            raise NotConnectedError("Join the demo room first.")

    def _name(self, identity: str) -> str:
        state = self.participant(identity)
        return state.display_name if state else identity

    def _arrive(self, actor: Actor) -> None:
        self._actors[actor.identity] = actor
        self._videos.setdefault(actor.identity, PersonVideo(actor.name, actor.look))
        self._upsert(
            ParticipantState(
                actor.identity,
                actor.name,
                mic_on=actor.mic_on,
                camera_on=actor.camera_on,
                quality=actor.quality,
            )
        )

    def _depart(self, identity: str, reason: str) -> None:
        if self._actors.pop(identity, None) is not None:
            self._remove(identity, reason)

    def _ensure_clock(self) -> None:
        if self._clock_task is None or self._clock_task.done():
            self._start = asyncio.get_running_loop().time()
            self._clock_task = self._tasks.spawn(self._clock(), "clock")

    async def _clock(self) -> None:
        """One loop paints every video and moves every level, ``fps`` times a second."""
        loop = asyncio.get_running_loop()
        period = 1.0 / self.config.fps
        tick = 0
        while True:
            t = loop.time() - self._start
            if tick % 2 == 0:
                self._tick_audio(t)
            self._tick_video(t, slide=tick % 3 == 0)
            tick += 1
            await asyncio.sleep(max(self._start + tick * period - loop.time(), 0.001))

    def _tick_audio(self, t: float) -> None:
        _, microphone = self._preview
        mine = self._local_level(t)
        if microphone or (self._joined and self.local_media.mic_on):
            self.events.emit("mic_level", mine)
        if not self._joined:
            return
        talking = [a for a in self._actors if (p := self.participant(a)) and p.mic_on]
        levels = self._conversation.levels(t, talking)
        if self.config.chatter:  # someone "says" something: captions follow the turns
            speaker = self._conversation.speaker
            self._captioner.tick(t, self.participant(speaker) if speaker else None)
        if self.local_media.mic_on:
            levels[self.local_identity] = mine
        for identity, state in list(self._participants.items()):
            level = round(levels.get(identity, 0.0), 1)
            speaking = level >= Conversation.SPEAKING_THRESHOLD
            if state.audio_level != level or state.speaking != speaking:
                self._update(identity, audio_level=level, speaking=speaking)

    def _local_level(self, t: float) -> float:
        burst = math.sin(t * 0.37) > 0.93  # now and then the simulated mic "hears" you
        base = 0.03 + 0.03 * abs(math.sin(t * 5.1))
        return min(base + (0.5 * abs(math.sin(t * 6.7)) if burst else 0.0), 1.0)

    def _tick_video(self, t: float, *, slide: bool) -> None:
        camera, _ = self._preview
        media = self.local_media
        if camera or (self._joined and media.camera_on):
            frame = self._you_video.frame(t, self._local_level(t) if media.mic_on else 0.0)
            if camera:
                self.events.emit("preview_frame", frame)
            if self._joined and media.camera_on:
                self.events.emit("video_frame", TileKey(self.local_identity), frame)
        if not self._joined:
            return
        for identity in list(self._actors):
            state = self.participant(identity)
            if state is not None and state.camera_on:
                frame = self._videos[identity].frame(t + state.order * 7.0, state.audio_level)
                self.events.emit("video_frame", TileKey(identity), frame)
        if slide and media.screen_on:
            self.events.emit(
                "video_frame", TileKey(self.local_identity, VideoKind.SCREEN), self._slide.frame(t)
            )

    async def _greet(self) -> None:
        speakers = list(CAST[: self.config.people])
        for i, line in enumerate(GREETINGS):
            await asyncio.sleep(2.5 if i == 0 else 4.0)
            actor = speakers[i % len(speakers)] if speakers else None
            if actor is not None and actor.identity in self._actors:
                self._add_chat(actor.identity, actor.name, line.format(you=self.local_name))
        await asyncio.sleep(12.0)
        await self._send_agenda()

    def simulate_file_from_someone(self) -> None:
        """Demo hook: someone sends the agenda file now (used by tests and the tour)."""
        self._tasks.spawn(self._send_agenda(), "agenda")

    async def _send_agenda(self) -> None:
        sender = next(iter(self._actors.values()), None)
        if sender is not None:
            transfer = FileTransfer(
                uuid.uuid4().hex,
                "agenda.txt",
                len(AGENDA),
                0,
                TransferState.ACTIVE,
                False,
                peer_name=sender.name,
            )
            self._files[transfer.id] = AGENDA
            await self._simulate_transfer(transfer, sender.identity, sender.name)

    async def _churn(self) -> None:
        """Late arrivals join; after a while someone leaves, and so on."""
        while True:
            await asyncio.sleep(self.config.churn_period_s)
            absent = [a for a in CAST if a.identity not in self._actors]
            if absent and len(self._actors) <= self.config.people:
                self._arrive(self._rng.choice(absent))
                continue
            present = [a for a in self._actors if self._actors[a] not in CAST[:2]]
            if present:
                self._depart(self._rng.choice(present), "left")

    async def _reply(self, text: str) -> None:
        if not self._actors:
            return
        await asyncio.sleep(self._rng.uniform(*self.config.reply_delay_s))
        if not self._actors:
            return
        actor = self._rng.choice(list(self._actors.values()))
        self._add_chat(actor.identity, actor.name, reply_to(text, self.local_name, self._rng))

    def watch_connection_details(self, on: bool) -> None:
        if on and (self._details is None or self._details.done()):
            self._details = self._tasks.spawn(self._emit_details(), "details")
        elif not on and self._details is not None:
            self._details.cancel()
            self._details = None

    async def _emit_details(self) -> None:
        while True:
            if self._joined:
                details = demo_details(self.participants, self._rng, self.local_identity)
                self.events.emit("connection_details", details)
            await asyncio.sleep(1.0)

    def simulate_quality(self, identity: str, quality: Quality) -> None:
        """Demo hook: change someone's connection quality (used by tests and the tour)."""
        self._update(identity, quality=quality)

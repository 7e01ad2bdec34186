"""``HeadlessCall``: a call with no window and no devices, for scripts and bots.

The command line's ``lkdesk join`` runs one: it joins with a token, optionally publishes a
media file as its camera and microphone, says something in the chat, and records every
remote participant's audio and video to files until its time is up, the room ends, or it
is interrupted. Progress goes to a callback (the CLI prints it on stderr). It shares the
join path, the chat and the error words with the desktop call, through lkdesk.rtc.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lkdesk import media, rtc
from lkdesk.core.errors import LkdeskError
from lkdesk.core.tasks import TaskSet
from lkdesk.session.call_words import describe_end
from lkdesk.session.errors import SessionError
from lkdesk.session.media_links import pump_audio, pump_video
from lkdesk.session.targets import Credentials

logger = logging.getLogger(__name__)

_WORDS = {
    rtc.TrackSource.SOURCE_CAMERA: "camera",
    rtc.TrackSource.SOURCE_MICROPHONE: "microphone",
    rtc.TrackSource.SOURCE_SCREENSHARE: "screen",
    rtc.TrackSource.SOURCE_SCREENSHARE_AUDIO: "screen-audio",
}


@dataclass(frozen=True, slots=True)
class HeadlessOptions:
    """What a headless call does besides being there."""

    publish_file: Path | None = None
    record_dir: Path | None = None
    say: str = ""
    duration_s: float | None = None  # None: until interrupted or the room ends
    join_timeout_s: float = 15.0


@dataclass
class Recording:
    """One file being written: whose track, which file, how many frames."""

    identity: str
    kind: str
    path: Path
    recorder: media.TrackRecorder = field(repr=False)


class HeadlessCall:
    """Join, publish, say, record, leave. ``run`` returns the recordings made."""

    def __init__(
        self,
        credentials: Credentials,
        options: HeadlessOptions,
        progress: Callable[[str], None] = lambda _text: None,
    ) -> None:
        self._credentials = credentials
        self._options = options
        self._progress = progress
        self._tasks = TaskSet("headless")
        self._room = rtc.Room()
        self._ended = asyncio.Event()
        self._end_reason = ""
        self._player: media.MediaFilePlayer | None = None
        self.recordings: list[Recording] = []

    async def run(self) -> list[Recording]:
        """The whole call; raises :class:`SessionError` saying what went wrong."""
        options = self._options
        if options.publish_file is not None:
            await self._check_file(options.publish_file)
        if options.record_dir is not None:
            await asyncio.to_thread(options.record_dir.mkdir, parents=True, exist_ok=True)
        room = self._room
        room.on("track_subscribed", self._on_track)
        room.on("participant_connected", lambda p: self._progress(f"{p.identity} joined"))
        room.on("participant_disconnected", lambda p: self._progress(f"{p.identity} left"))
        room.on("disconnected", self._on_disconnected)
        c = self._credentials
        self._progress(f"joining room {c.room} on {c.url} as {c.identity}")
        room_options = rtc.RoomOptions(
            auto_subscribe=options.record_dir is not None,
            join_timeout_s=options.join_timeout_s,
            trust=c.trust,
        )
        try:
            await room.connect(c.url, c.token, room_options)
        except LkdeskError as exc:
            raise SessionError(str(exc)) from exc
        self._progress(f"joined; {len(room.remote_participants)} other(s) in the room")
        try:
            await self._while_joined()
        finally:
            await self._leave()
        return self.recordings

    async def _check_file(self, path: Path) -> None:
        try:
            await asyncio.to_thread(media.probe_file, path)
        except media.DeviceError as exc:
            raise SessionError(str(exc)) from exc

    async def _while_joined(self) -> None:
        options = self._options
        if options.publish_file is not None:
            await self._publish(options.publish_file)
        if options.say:
            sent = await rtc.Chat(self._room).send(options.say)
            if sent.state is rtc.DeliveryState.FAILED:
                raise SessionError(f"The message was not sent: {sent.error}")
            self._progress("message sent")
        if options.duration_s is None:
            await self._ended.wait()
        else:
            try:
                async with asyncio.timeout(options.duration_s):
                    await self._ended.wait()
            except TimeoutError:
                self._progress(f"{options.duration_s:g} s are up; leaving")
        if self._end_reason:
            self._progress(self._end_reason)

    async def _publish(self, path: Path) -> None:
        info = await asyncio.to_thread(media.probe_file, path)
        local = self._room.local_participant
        assert local is not None
        player = media.MediaFilePlayer(path)
        self._player = player
        player.start()
        if info.has_video:
            video = rtc.VideoSource(info.width, info.height)
            camera = rtc.LocalVideoTrack.create_video_track("camera", video)
            options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
            await local.publish_track(camera, options)
            self._tasks.spawn(pump_video(player.video(), video), "file-video")
        if info.has_audio:
            audio = rtc.AudioSource(48_000, 1)
            mic = rtc.LocalAudioTrack.create_audio_track("microphone", audio)
            options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
            await local.publish_track(mic, options)
            self._tasks.spawn(pump_audio(player.audio(), audio), "file-audio")
        kinds = " and ".join(
            k for k, on in (("video", info.has_video), ("audio", info.has_audio)) if on
        )
        self._progress(f"publishing {path.name} ({kinds})")

    def _on_track(
        self,
        track: rtc.RemoteTrack,
        publication: rtc.RemoteTrackPublication,
        participant: rtc.RemoteParticipant,
    ) -> None:
        folder = self._options.record_dir
        if folder is None:
            return
        video = track.kind == rtc.TrackKind.KIND_VIDEO
        word = _WORDS.get(publication.source, track.sid)
        stem = f"{_safe(participant.identity)}-{word}"
        path = folder / f"{stem}.{'mkv' if video else 'ogg'}"
        taken = {r.path for r in self.recordings}
        n = 2
        while path in taken:
            path = folder / f"{stem}-{n}.{'mkv' if video else 'ogg'}"
            n += 1
        recorder = media.TrackRecorder(path, "video" if video else "audio")
        self.recordings.append(Recording(participant.identity, word, path, recorder))
        self._progress(f"recording {participant.identity}'s {word} to {path}")
        self._tasks.spawn(self._record(track, recorder, video), f"record-{word}")

    async def _record(
        self, track: rtc.RemoteTrack, recorder: media.TrackRecorder, video: bool
    ) -> None:
        stream: rtc.VideoStream | rtc.AudioStream
        stream = rtc.VideoStream(track, capacity=8) if video else rtc.AudioStream(track)
        try:
            async for event in stream:
                recorder.push(event.frame)
        finally:
            await stream.aclose()

    def _on_disconnected(self, reason: int) -> None:
        self._end_reason = describe_end(reason)
        self._ended.set()

    async def _leave(self) -> None:
        await self._tasks.aclose()
        if self._player is not None:
            await self._player.aclose()
        if self._room.isconnected():
            await self._room.disconnect()
        for recording in self.recordings:
            await recording.recorder.aclose()
            r = recording.recorder
            note = f" ({r.dropped} dropped)" if r.dropped else ""
            self._progress(f"wrote {recording.path} ({r.frames} frames{note})")


def _safe(name: str) -> str:
    """A file-name-safe form of an identity."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "participant"

"""``CallSession``: a real LiveKit room through lkdesk.rtc, devices through lkdesk.media."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lkdesk import rtc
from lkdesk.core.errors import ConnectError
from lkdesk.core.tasks import TaskSet
from lkdesk.session.base import Session
from lkdesk.session.call_admin import HostActions, HostDelegation
from lkdesk.session.call_data import ChatAndFiles
from lkdesk.session.call_encryption import CallEncryption, encryption_for
from lkdesk.session.call_insights import CallInsights
from lkdesk.session.call_words import describe_end, snapshot
from lkdesk.session.devices import DeviceScan, scan_devices
from lkdesk.session.errors import NotAvailableError, NotConnectedError
from lkdesk.session.local_media import (
    CAMERA,
    MIC,
    SCREEN,
    SCREEN_AUDIO,
    LocalMediaController,
)
from lkdesk.session.mic_processing import MicProcessing
from lkdesk.session.model import (
    AudioProcessingSettings,
    Capabilities,
    ChatEntry,
    Device,
    DeviceKind,
    Feature,
    JoinOptions,
    NoticeLevel,
    ParticipantState,
    SessionState,
    ShareSource,
    Status,
    TileKey,
    VideoKind,
)
from lkdesk.session.network_check import NetworkCheck
from lkdesk.session.remote_audio import RemoteAudio, play_test_tone
from lkdesk.session.remote_video import RemoteVideo
from lkdesk.session.share_sources import list_share_sources, thumbnail
from lkdesk.session.targets import Credentials

logger = logging.getLogger(__name__)

_FIELD = {MIC: "mic_on", CAMERA: "camera_on", SCREEN: "screen_on"}
_NOT_IN_A_CALL = (rtc.ConnectionState.CONN_DISCONNECTED, rtc.ConnectionState.CONN_CONNECTING)
_KIND_OF = {DeviceKind.MICROPHONE: MIC, DeviceKind.CAMERA: CAMERA}


class CallSession(HostDelegation, Session):
    """One call in a real LiveKit room."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        room_factory: Callable[[], rtc.Room] = rtc.Room,
        room_options: rtc.RoomOptions | None = None,
    ) -> None:
        super().__init__(
            room_name=credentials.room,
            server_label=urlsplit(credentials.url).netloc or credentials.url,
            local_identity=credentials.identity,
            local_name=credentials.name,
            name_editable=credentials.name_editable,
            capabilities=Capabilities(
                admin=Feature(credentials.admin is not None, credentials.admin_reason),
                move_participants=Feature(
                    credentials.admin is not None,
                    credentials.admin_reason or "Moving people needs LiveKit Cloud.",
                ),
            ),
        )
        self._credentials = credentials
        self._room_factory = room_factory
        self._room_options = room_options or rtc.RoomOptions()
        self._room: rtc.Room | None = None
        self._tasks = TaskSet("call", on_error=self._background_failed)
        self._video = RemoteVideo(self._tasks, self.events.emit, self._video_sizes)
        self._scan = DeviceScan()
        self._devices: dict[DeviceKind, str] = {}
        self._mic = MicProcessing(
            lambda on: self.events.emit("talking_while_muted", on), self._processing_failed
        )
        self._local = LocalMediaController(
            self._tasks, self._on_local_video, self._on_mic_level, self._on_local_stopped, self._mic
        )
        self._audio = RemoteAudio(
            self._tasks, lambda t: self._notice(t, NoticeLevel.WARNING), self._mic.reference
        )
        self._data: ChatAndFiles | None = None
        self._insights: CallInsights | None = None  # captions, connection details
        self._host = HostActions(credentials.admin, credentials.admin_reason)
        self._leaving = False
        self._encryption = CallEncryption(self._update, self._notice, self.participant)
        self._devices_share = ""  # the screen-share source chosen last

    # ----- devices -----------------------------------------------------------------------

    def devices(self, kind: DeviceKind) -> tuple[Device, ...]:
        return self._scan.devices.get(kind, ())

    async def refresh_devices(self) -> None:
        self._scan = await scan_devices()
        self._set_capabilities(
            replace(
                self.capabilities,
                microphone=self._scan.feature(DeviceKind.MICROPHONE),
                camera=self._scan.feature(DeviceKind.CAMERA),
                speaker=self._scan.feature(DeviceKind.SPEAKER),
                screen_share=self._scan.screen,
                audio_processing=self._mic.feature(),
                system_audio=self._scan.system_audio,
            )
        )

    async def set_audio_processing(self, settings: AudioProcessingSettings) -> None:
        self._mic.apply(settings)
        self._set_audio_processing(settings)

    def _processing_failed(self, reason: str) -> None:
        self._set_capabilities(replace(self.capabilities, audio_processing=Feature(False, reason)))
        self._notice(reason, NoticeLevel.WARNING)

    async def start_preview(self, *, camera: bool, microphone: bool) -> None:
        """Open the chosen camera and microphone for the pre-join check (or close them)."""
        for kind, wanted, feature in (
            (CAMERA, camera, self.capabilities.camera),
            (MIC, microphone, self.capabilities.microphone),
        ):
            if wanted and feature.available:
                await self._local.capture(kind, self._device_for(kind))
            elif not self._local.is_published(kind):
                await self._local.stop(kind)

    async def stop_preview(self) -> None:
        await self.start_preview(camera=False, microphone=False)

    async def test_speaker(self) -> None:
        speaker = self.capabilities.speaker
        if not speaker.available:
            raise NotAvailableError(speaker.reason)
        await play_test_tone(self._devices.get(DeviceKind.SPEAKER))

    async def select_device(self, kind: DeviceKind, device_id: str) -> None:
        self._devices[kind] = device_id
        if kind is DeviceKind.SPEAKER:
            await self._audio.set_device(device_id)
        elif self._local.is_running(_KIND_OF[kind]):
            await self._local.capture(_KIND_OF[kind], device_id)

    async def set_camera_height(self, height: int) -> None:
        await super().set_camera_height(height)
        await self._local.set_camera_height(height)

    def _device_for(self, kind: str) -> str | None:
        return next((self._devices.get(d) for d, k in _KIND_OF.items() if k == kind), None)

    # ----- joining and leaving ---------------------------------------------------------------

    async def join(self, options: JoinOptions) -> None:
        if self._room is not None:
            raise NotConnectedError("This call was already joined; open a new one to rejoin.")
        credentials = self._credentials
        name = options.display_name.strip()
        if credentials.remint is not None and name and name != credentials.name:
            credentials = credentials.remint(name)
            self._credentials = credentials
            self.local_identity, self.local_name = credentials.identity, credentials.name
        encryption = encryption_for(options.passphrase)  # a blank passphrase is refused here
        self._devices.update(options.devices)
        self._audio.device = self._devices.get(DeviceKind.SPEAKER)
        room = self._room_factory()
        self._room = room
        self._wire(room)
        self._set_status(Status(SessionState.CONNECTING))
        try:
            room_options = replace(
                self._room_options, trust=credentials.trust, encryption=encryption
            )
            await room.connect(credentials.url, credentials.token, room_options)
        except ConnectError as exc:
            self._room = None  # joining again is allowed
            self._set_status(Status(SessionState.ENDED, str(exc)))
            raise
        except BaseException:
            self._room = None
            self._set_status(Status(SessionState.ENDED, "Joining was interrupted."))
            raise
        self._on_joined(room)
        for kind, wanted in ((MIC, options.mic_on), (CAMERA, options.camera_on)):
            if wanted:
                await self._publish_or_explain(kind)
            else:
                await self._local.stop(kind)

    def _on_joined(self, room: rtc.Room) -> None:
        local = room.local_participant
        assert local is not None
        self.local_identity = local.identity
        self._upsert(ParticipantState(local.identity, local.name or self.local_name, is_local=True))
        for participant in room.remote_participants.values():
            self._upsert(self._encryption.mark(snapshot(participant)))
        self.encryption_note = self._encryption.note
        self._local.room = room
        self._data = ChatAndFiles(self, room, self._tasks)
        self._insights = CallInsights(self, room, self._tasks)
        self._set_status(Status(SessionState.CONNECTED))

    async def leave(self) -> None:
        self._leaving = True
        room = self._room
        await self._local.stop_all()
        if room is not None and room.isconnected():
            await room.disconnect()
        self._finish(Status(SessionState.ENDED, "You left the meeting.", by_user=True))

    async def aclose(self) -> None:
        if self._room is not None and self._room.isconnected():
            await self.leave()
        await self._local.stop_all()
        await self._audio.aclose()
        if self._data is not None:
            self._data.close()
        if self._insights is not None:
            self._insights.close()
        await self._tasks.aclose()
        await self._host.aclose()
        self.events.off_all()

    def _finish(self, status: Status) -> None:
        self._video.stop_all()
        self._clear_participants()
        self._set_status(status)

    # ----- room events ------------------------------------------------------------------------

    def _wire(self, room: rtc.Room) -> None:
        refresh = self._refresh
        handlers: dict[str, Callable[..., object]] = {
            "participant_connected": lambda p: self._upsert(self._encryption.mark(snapshot(p))),
            "participant_disconnected": lambda p: self._remove(p.identity, "left"),
            "track_published": lambda _pub, p: refresh(p),
            "track_unpublished": lambda _pub, p: refresh(p),
            "track_muted": lambda p, _pub: refresh(p),
            "track_unmuted": lambda p, _pub: refresh(p),
            "track_subscribed": self._on_track_subscribed,
            "track_unsubscribed": self._on_track_unsubscribed,
            "active_speakers_changed": self._on_speakers,
            "connection_quality_changed": lambda p, _q: refresh(p),
            "participant_name_changed": lambda p, _old, _new: refresh(p),
            "participant_permissions_changed": lambda p, _old, _new: refresh(p),
            "participant_attributes_changed": lambda _changed, p: refresh(p),
            "track_subscription_permission_changed": lambda p, _pub, _status: refresh(p),
            "connection_state_changed": self._on_connection_state,
            "disconnected": self._on_disconnected,
            "moved": lambda: self._on_moved(room),
        }
        for event, handler in handlers.items():
            room.on(event, handler)  # type: ignore[arg-type]
        self._encryption.wire(room)

    def _refresh(self, participant: rtc.Participant) -> None:
        if isinstance(participant, rtc.RemoteParticipant):
            if participant.identity in self._participants:
                self._upsert(self._encryption.mark(snapshot(participant)))
        else:
            self._update(self.local_identity, name=participant.name or self.local_name)

    def _on_track_subscribed(
        self,
        track: rtc.RemoteTrack,
        publication: rtc.RemoteTrackPublication,
        participant: rtc.RemoteParticipant,
    ) -> None:
        self._refresh(participant)
        if track.kind == rtc.TrackKind.KIND_VIDEO:
            self._video.add(track, publication, participant.identity)
        elif track.kind == rtc.TrackKind.KIND_AUDIO and self.capabilities.speaker.available:
            self._audio.add(track)

    def _on_track_unsubscribed(
        self, track: rtc.RemoteTrack, _publication: Any, participant: rtc.RemoteParticipant
    ) -> None:
        self._video.remove(track.sid)
        self._audio.remove(track.sid)
        self._refresh(participant)

    def _on_speakers(self, _speakers: list[rtc.RemoteParticipant]) -> None:
        room = self._room
        if room is None:
            return
        for participant in room.remote_participants.values():
            self._update(
                participant.identity,
                speaking=participant.is_speaking,
                audio_level=participant.audio_level,
            )

    def _on_connection_state(self, state: rtc.ConnectionState) -> None:
        if state == rtc.ConnectionState.CONN_RECONNECTING:
            self._set_status(Status(SessionState.RECONNECTING, "Your connection dropped."))
        elif state == rtc.ConnectionState.CONN_CONNECTED and self.participant(self.local_identity):
            self._set_status(Status(SessionState.CONNECTED))

    def _on_moved(self, room: rtc.Room) -> None:
        """An administrator moved us: same call, new room (people change through events)."""
        self._set_room_name(room.name)
        self._notice(f"A host moved you to the room “{room.name}”.")

    def _on_disconnected(self, reason: int) -> None:
        if self._leaving:
            return
        self._tasks.spawn(self._local.stop_all(), "stop-local-media")
        self._finish(Status(SessionState.ENDED, describe_end(reason)))

    def _background_failed(self, error: BaseException) -> None:
        self._notice(
            "Something went wrong in the background; lkdesk keeps going. Details are in the log.",
            NoticeLevel.WARNING,
        )

    # ----- local media -----------------------------------------------------------------------

    async def set_microphone(self, on: bool) -> None:
        await self._set_media(MIC, on)

    async def set_camera(self, on: bool) -> None:
        await self._set_media(CAMERA, on)

    async def share_sources(self) -> tuple[ShareSource, ...]:
        return await list_share_sources()

    async def share_thumbnail(self, source_id: str, width: int) -> Any:
        return await thumbnail(source_id, width)

    async def set_screen_share(
        self, on: bool, source_id: str = "", with_audio: bool = False
    ) -> None:
        if on and with_audio and not self.capabilities.system_audio.available:
            raise NotAvailableError(self.capabilities.system_audio.reason)
        self._devices_share = source_id
        if not on or not with_audio:
            await self._local.stop(SCREEN_AUDIO)
        if self._local.is_published(SCREEN) and on:  # another source: swap under the track
            await self._local.capture(SCREEN, source_id)
        else:
            await self._set_media(SCREEN, on)
        if on and with_audio:
            await self._local.publish(SCREEN_AUDIO, None)

    async def _set_media(self, kind: str, on: bool) -> None:
        if self._room is None or not self._room.isconnected():
            raise NotConnectedError("Join the room first.")
        feature = {
            MIC: self.capabilities.microphone,
            CAMERA: self.capabilities.camera,
            SCREEN: self.capabilities.screen_share,
        }[kind]
        if on and not feature.available:
            raise NotAvailableError(feature.reason)
        if on:
            device = self._devices_share if kind == SCREEN else self._device_for(kind)
            await self._local.publish(kind, device)
        elif kind == MIC:
            self._local.mute(MIC, True)  # unmuting later is instant, as users expect
        elif kind == CAMERA:
            await self._local.pause(CAMERA)  # muted for peers, camera light off
            self.events.emit("video_ended", self._local_key(kind))
        else:
            await self._local.stop(kind)
            self.events.emit("video_ended", self._local_key(kind))
        self._set_local_media(replace(self.local_media, **{_FIELD[kind]: on}))

    async def _publish_or_explain(self, kind: str) -> None:
        try:
            await self._set_media(kind, True)
        except NotAvailableError as exc:
            self._notice(str(exc), NoticeLevel.WARNING)

    def _local_key(self, kind: str) -> TileKey:
        video = VideoKind.SCREEN if kind == SCREEN else VideoKind.CAMERA
        return TileKey(self.local_identity, video)

    def _on_local_video(self, kind: str, frame: Any) -> None:
        if kind == CAMERA:
            self.events.emit("preview_frame", frame)
        if self._room is not None and self._local.is_published(kind):
            self.events.emit("video_frame", self._local_key(kind), frame)

    def _on_mic_level(self, level: float) -> None:
        self.events.emit("mic_level", level)
        if self._room is not None and self.local_media.mic_on:
            speaking = level > 0.35
            me = self.participant(self.local_identity)
            if me is not None and me.speaking != speaking:
                self._update(self.local_identity, speaking=speaking, audio_level=level)

    def _on_local_stopped(self, kind: str, reason: str) -> None:
        self._notice(reason, NoticeLevel.ERROR)
        if self._room is not None:
            self._set_local_media(replace(self.local_media, **{_FIELD[kind]: False}))
            if kind != MIC:
                self.events.emit("video_ended", self._local_key(kind))

    # ----- chat and files -------------------------------------------------------------------------

    async def send_chat(self, text: str) -> None:
        await self._need_data().send_chat(text)

    @property
    def chat_history(self) -> tuple[ChatEntry, ...]:
        return self._data.entries() if self._data is not None else ()

    async def retry_chat(self, message_id: str) -> None:
        await self._need_data().retry_chat(message_id)

    async def send_file(self, path: Path) -> None:
        await self._need_data().send_file(path)

    async def save_file(self, transfer_id: str, destination: Path) -> None:
        await self._need_data().save_file(transfer_id, destination)
        self.events.emit("file_saved", transfer_id, destination)

    async def check_network(self, on_step: Callable[[Any], None]) -> Any:
        return await NetworkCheck(self._credentials, on_step).run()

    def watch_connection_details(self, on: bool) -> None:
        if self._insights is not None:
            self._insights.watch(on)

    def _need_data(self) -> ChatAndFiles:
        """Chat and files; while reconnecting, what is sent waits for the connection."""
        room = self._room
        if self._data is None or room is None or room.connection_state in _NOT_IN_A_CALL:
            raise NotConnectedError("Join the room first.")
        return self._data


__all__ = ["CallSession", "describe_end"]

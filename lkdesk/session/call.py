"""``CallSession``: a real LiveKit room through lkdesk.rtc, admin actions through lkdesk.admin."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lkdesk import rtc
from lkdesk.admin import AdminError, RoomAdmin
from lkdesk.errors import ConnectError
from lkdesk.session import media_bridge
from lkdesk.session.base import Session
from lkdesk.session.call_data import ChatAndFiles
from lkdesk.session.errors import AdminActionError, NotAvailableError, NotConnectedError
from lkdesk.session.model import (
    Capabilities,
    Device,
    DeviceKind,
    Feature,
    JoinOptions,
    LocalMedia,
    NoticeLevel,
    ParticipantState,
    Quality,
    SessionState,
    Status,
    TileKey,
    VideoKind,
)
from lkdesk.session.publisher import Publisher
from lkdesk.session.targets import Credentials
from lkdesk.session.tasks import TaskSet

logger = logging.getLogger(__name__)

_QUALITY = {
    rtc.ConnectionQuality.QUALITY_EXCELLENT: Quality.EXCELLENT,
    rtc.ConnectionQuality.QUALITY_GOOD: Quality.GOOD,
    rtc.ConnectionQuality.QUALITY_POOR: Quality.POOR,
    rtc.ConnectionQuality.QUALITY_LOST: Quality.LOST,
}
_ADVICE = {
    "PARTICIPANT_REMOVED": "Rejoin if you were removed by mistake, or ask the host.",
    "ROOM_DELETED": "Ask the host whether the meeting moved to another room.",
    "DUPLICATE_IDENTITY": "Close the other window or device that uses the same identity.",
    "SIGNAL_CLOSE": "Check your network connection, then rejoin.",
    "MEDIA_FAILURE": "Check your network (a firewall may block UDP), then rejoin.",
    "CONNECTION_TIMEOUT": "Check your network connection, then rejoin.",
    "SERVER_SHUTDOWN": "Wait a moment, then rejoin.",
}


def describe_end(reason: int) -> str:
    """Plain words for why a call ended, with what to do next."""
    text = rtc.describe_disconnect(reason)
    try:
        name = rtc.DisconnectReason.Name(reason)
    except ValueError:
        name = ""
    advice = _ADVICE.get(name, "")
    return f"{text} {advice}".strip()


class CallSession(Session):
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
            capabilities=_capabilities(credentials),
        )
        self._credentials = credentials
        self._room_factory = room_factory
        self._room_options = room_options or rtc.RoomOptions()
        self._room: rtc.Room | None = None
        self._tasks = TaskSet("call", on_error=self._background_failed)
        self._pumps: dict[str, asyncio.Task[Any]] = {}
        self._publisher: Publisher | None = None
        self._data: ChatAndFiles | None = None
        self._admin: RoomAdmin | None = None
        self._leaving = False
        self._audio_notice_shown = False
        self._devices: dict[DeviceKind, str] = {}

    # ----- devices -----------------------------------------------------------------------

    def devices(self, kind: DeviceKind) -> tuple[Device, ...]:
        return media_bridge.list_devices(kind)

    async def start_preview(self, *, camera: bool, microphone: bool) -> None:
        """Nothing to preview until lkdesk.media can capture (the UI explains why)."""

    async def stop_preview(self) -> None:
        """See :meth:`start_preview`."""

    async def test_speaker(self) -> None:
        speaker = self.capabilities.speaker
        if not speaker.available:
            raise NotAvailableError(speaker.reason)

    async def select_device(self, kind: DeviceKind, device_id: str) -> None:
        self._devices[kind] = device_id

    # ----- joining and leaving --------------------------------------------------------------------

    async def join(self, options: JoinOptions) -> None:
        if self._room is not None:
            raise NotConnectedError("This call was already joined; open a new one to rejoin.")
        credentials = self._credentials
        name = options.display_name.strip()
        if credentials.remint is not None and name and name != credentials.name:
            credentials = credentials.remint(name)
            self._credentials = credentials
            self.local_identity, self.local_name = credentials.identity, credentials.name
        self._devices.update(options.devices)
        room = self._room_factory()
        self._room = room
        self._wire(room)
        self._set_status(Status(SessionState.CONNECTING))
        try:
            await room.connect(credentials.url, credentials.token, self._room_options)
        except ConnectError as exc:
            self._room = None  # joining again is allowed
            self._set_status(Status(SessionState.ENDED, str(exc)))
            raise
        except BaseException:
            self._room = None
            self._set_status(Status(SessionState.ENDED, "Joining was interrupted."))
            raise
        self._on_joined(room)
        for kind, wanted in (("microphone", options.mic_on), ("camera", options.camera_on)):
            if wanted:
                await self._publish_or_explain(kind)

    def _on_joined(self, room: rtc.Room) -> None:
        local = room.local_participant
        assert local is not None
        self.local_identity = local.identity
        self._upsert(ParticipantState(local.identity, local.name or self.local_name, is_local=True))
        for participant in room.remote_participants.values():
            self._upsert(self._snapshot(participant))
        self._publisher = Publisher(room, self._tasks, self._on_local_media_frame)
        self._data = ChatAndFiles(self, room, self._tasks)
        self._set_capabilities(
            replace(self.capabilities, chat=self._data.chat_feature, files=self._data.files_feature)
        )
        self._set_status(Status(SessionState.CONNECTED))

    async def leave(self) -> None:
        self._leaving = True
        room = self._room
        if room is not None and room.isconnected():
            if self._publisher is not None:
                await self._publisher.aclose()
            await room.disconnect()
        self._finish(Status(SessionState.ENDED, "You left the meeting.", by_user=True))

    async def aclose(self) -> None:
        if self._room is not None and self._room.isconnected():
            await self.leave()
        await self._tasks.aclose()
        if self._admin is not None:
            await self._admin.aclose()
        self.events.off_all()

    def _finish(self, status: Status) -> None:
        for task in self._pumps.values():
            task.cancel()
        self._pumps.clear()
        self._clear_participants()
        self._set_status(status)

    # ----- room events ------------------------------------------------------------------------

    def _wire(self, room: rtc.Room) -> None:
        refresh = self._refresh
        handlers: dict[str, Callable[..., object]] = {
            "participant_connected": lambda p: self._upsert(self._snapshot(p)),
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
            "connection_state_changed": self._on_connection_state,
            "disconnected": self._on_disconnected,
        }
        for event, handler in handlers.items():
            room.on(event, handler)  # type: ignore[arg-type]

    def _refresh(self, participant: rtc.Participant) -> None:
        if isinstance(participant, rtc.RemoteParticipant):
            if participant.identity in self._participants:
                self._upsert(self._snapshot(participant))
        else:
            self._update(self.local_identity, name=participant.name or self.local_name)

    @staticmethod
    def _snapshot(participant: rtc.RemoteParticipant) -> ParticipantState:
        live = {pub.source for pub in participant.track_publications.values() if not pub.muted}
        return ParticipantState(
            identity=participant.identity,
            name=participant.name,
            mic_on=rtc.TrackSource.SOURCE_MICROPHONE in live,
            camera_on=rtc.TrackSource.SOURCE_CAMERA in live,
            screen_on=rtc.TrackSource.SOURCE_SCREENSHARE in live,
            speaking=participant.is_speaking,
            audio_level=participant.audio_level,
            quality=_QUALITY.get(participant.connection_quality, Quality.GOOD),
            can_publish=participant.permissions.can_publish,
        )

    def _on_track_subscribed(
        self,
        track: rtc.RemoteTrack,
        publication: rtc.RemoteTrackPublication,
        participant: rtc.RemoteParticipant,
    ) -> None:
        self._refresh(participant)
        if track.kind == rtc.TrackKind.KIND_VIDEO:
            screen = publication.source == rtc.TrackSource.SOURCE_SCREENSHARE
            key = TileKey(participant.identity, VideoKind.SCREEN if screen else VideoKind.CAMERA)
            self._pumps[track.sid] = self._tasks.spawn(self._pump_video(track, key), "video")
        elif not self.capabilities.speaker.available and not self._audio_notice_shown:
            self._audio_notice_shown = True
            self._notice(self.capabilities.speaker.reason, NoticeLevel.WARNING)

    def _on_track_unsubscribed(
        self, track: rtc.RemoteTrack, _publication: Any, participant: rtc.RemoteParticipant
    ) -> None:
        pump = self._pumps.pop(track.sid, None)
        if pump is not None:
            pump.cancel()
        self._refresh(participant)

    async def _pump_video(self, track: rtc.RemoteTrack, key: TileKey) -> None:
        stream = rtc.VideoStream(track)
        try:
            async for event in stream:
                self.events.emit("video_frame", key, event.frame.data)
        finally:
            await stream.aclose()
            self.events.emit("video_ended", key)

    def _on_speakers(self, speakers: list[rtc.RemoteParticipant]) -> None:
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

    def _on_disconnected(self, reason: int) -> None:
        if self._leaving:
            return
        self._tasks.spawn(self._stop_publishing(), "stop-publishing")
        self._finish(Status(SessionState.ENDED, describe_end(reason)))

    async def _stop_publishing(self) -> None:
        if self._publisher is not None:
            await self._publisher.aclose()

    def _background_failed(self, error: BaseException) -> None:
        self._notice(
            "Something went wrong in the background; lkdesk keeps going. Details are in the log.",
            NoticeLevel.WARNING,
        )

    # ----- local media -----------------------------------------------------------------------

    async def set_microphone(self, on: bool) -> None:
        await self._set_media("microphone", on)

    async def set_camera(self, on: bool) -> None:
        await self._set_media("camera", on)

    async def set_screen_share(self, on: bool) -> None:
        await self._set_media("screen_share", on)

    async def _set_media(self, kind: str, on: bool) -> None:
        publisher = self._publisher
        if publisher is None:
            raise NotConnectedError("Join the room first.")
        if on and not publisher.is_published(kind):
            await publisher.publish(kind, self._device_for(kind))
        elif kind == "microphone":
            await publisher.set_muted(kind, not on)  # unmuting is instant, as users expect
        elif not on:
            await publisher.unpublish(kind)
        field = {"microphone": "mic_on", "camera": "camera_on", "screen_share": "screen_on"}[kind]
        self._set_local_media(replace(self.local_media, **{field: on}))
        if not on and kind != "microphone":
            screen = kind == "screen_share"
            key = TileKey(self.local_identity, VideoKind.SCREEN if screen else VideoKind.CAMERA)
            self.events.emit("video_ended", key)

    async def _publish_or_explain(self, kind: str) -> None:
        try:
            await self._set_media(kind, True)
        except NotAvailableError as exc:
            self._notice(str(exc), NoticeLevel.WARNING)

    def _device_for(self, kind: str) -> str | None:
        device_kind = {"microphone": DeviceKind.MICROPHONE, "camera": DeviceKind.CAMERA}.get(kind)
        return self._devices.get(device_kind) if device_kind else None

    def _on_local_media_frame(self, kind: str, data: Any) -> None:
        if kind == "microphone":
            self.events.emit("mic_level", data)
            return
        screen = kind == "screen_share"
        key = TileKey(self.local_identity, VideoKind.SCREEN if screen else VideoKind.CAMERA)
        self.events.emit("video_frame", key, data)

    # ----- chat and files -------------------------------------------------------------------------

    async def send_chat(self, text: str) -> None:
        await self._need_data().send_chat(text)

    async def send_file(self, path: Path) -> None:
        await self._need_data().send_file(path)

    async def save_file(self, transfer_id: str, destination: Path) -> None:
        await self._need_data().save_file(transfer_id, destination)

    def _need_data(self) -> ChatAndFiles:
        if self._data is None or self._room is None or not self._room.isconnected():
            raise NotConnectedError("Join the room first.")
        return self._data

    # ----- admin ----------------------------------------------------------------------------------

    async def mute_participant(self, identity: str) -> None:
        room = self._need_room()
        participant = room.remote_participants.get(identity)
        mics = [
            pub.sid
            for pub in (participant.track_publications.values() if participant else ())
            if pub.source == rtc.TrackSource.SOURCE_MICROPHONE
        ]
        if not mics:
            raise AdminActionError(f"{identity} has no microphone to mute.")
        admin = self._admin_service()
        for sid in mics:
            await self._admin_call(admin.mute_track(room.name, identity, sid))

    async def remove_participant(self, identity: str) -> None:
        room = self._need_room()
        await self._admin_call(self._admin_service().remove_participant(room.name, identity))

    async def set_participant_can_publish(self, identity: str, allowed: bool) -> None:
        room = self._need_room()
        admin = self._admin_service()
        await self._admin_call(admin.update_permissions(room.name, identity, can_publish=allowed))

    async def rename_participant(self, identity: str, name: str) -> None:
        room = self._need_room()
        admin = self._admin_service()
        await self._admin_call(admin.update_participant(room.name, identity, name=name))

    async def move_participant(self, identity: str, room_name: str) -> None:
        room = self._need_room()
        admin = self._admin_service()
        await self._admin_call(admin.move_participant(room.name, identity, room_name))

    def _need_room(self) -> rtc.Room:
        if self._room is None or not self._room.isconnected():
            raise NotConnectedError("Join the room first.")
        return self._room

    async def _admin_call(self, call: Coroutine[Any, Any, Any]) -> None:
        try:
            await call
        except AdminError as exc:
            raise AdminActionError(str(exc)) from exc

    def _admin_service(self) -> RoomAdmin:
        access = self._credentials.admin
        if access is None:
            raise NotAvailableError(self._credentials.admin_reason or "You are not a host here.")
        if self._admin is None:
            if access.token:
                self._admin = RoomAdmin.with_token(access.url, access.token)
            else:
                self._admin = RoomAdmin.with_api_key(access.url, access.api_key, access.api_secret)
        return self._admin


def _capabilities(credentials: Credentials) -> Capabilities:
    pending = "lkdesk's LiveKit client does not send chat or files yet."
    data = Feature(hasattr(rtc.Room, "register_text_stream_handler"), pending)
    return Capabilities(
        microphone=media_bridge.feature("microphone"),
        camera=media_bridge.feature("camera"),
        screen_share=media_bridge.feature("screen_share"),
        speaker=media_bridge.feature("speaker"),
        chat=data,
        files=Feature(hasattr(rtc.Room, "register_byte_stream_handler"), pending),
        admin=Feature(credentials.admin is not None, credentials.admin_reason),
        move_participants=Feature(
            credentials.admin is not None,
            credentials.admin_reason or "Moving people needs LiveKit Cloud.",
        ),
    )


__all__ = ["CallSession", "LocalMedia", "describe_end"]

"""Host actions in a real room through RoomService (lkdesk.admin)."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from lkdesk import rtc
from lkdesk.admin import AdminError, RoomAdmin
from lkdesk.session.errors import AdminActionError, NotAvailableError, NotConnectedError
from lkdesk.session.targets import AdminAccess


class HostActions:
    """Mute, remove, permissions, rename, move, call a phone; each error says what the server
    answered."""

    def __init__(self, access: AdminAccess | None, unavailable_reason: str) -> None:
        self._access = access
        self._reason = unavailable_reason or "You are not a host in this room."
        self._admin: RoomAdmin | None = None

    def _service(self) -> RoomAdmin:
        access = self._access
        if access is None:
            raise NotAvailableError(self._reason)
        if self._admin is None:
            if access.token:
                self._admin = RoomAdmin.with_token(access.url, access.token, trust=access.trust)
            else:
                self._admin = RoomAdmin.with_api_key(
                    access.url, access.api_key, access.api_secret, trust=access.trust
                )
        return self._admin

    async def _call(self, make: Any) -> None:
        call: Coroutine[Any, Any, Any] = make(self._service())
        try:
            await call
        except AdminError as exc:
            raise AdminActionError(str(exc)) from exc

    async def mute(self, room: rtc.Room, identity: str) -> None:
        participant = room.remote_participants.get(identity)
        mics = [
            pub.sid
            for pub in (participant.track_publications.values() if participant else ())
            if pub.source == rtc.TrackSource.SOURCE_MICROPHONE and not pub.muted
        ]
        if not mics:
            raise AdminActionError(f"{identity} has no microphone on to mute.")
        for sid in mics:
            await self._call(lambda a, sid=sid: a.mute_track(room.name, identity, sid))

    async def remove(self, room: rtc.Room, identity: str) -> None:
        await self._call(lambda a: a.remove_participant(room.name, identity))

    async def set_can_publish(self, room: rtc.Room, identity: str, allowed: bool) -> None:
        await self._call(lambda a: a.update_permissions(room.name, identity, can_publish=allowed))

    async def rename(self, room: rtc.Room, identity: str, name: str) -> None:
        await self._call(lambda a: a.update_participant(room.name, identity, name=name))

    async def set_metadata(self, room: rtc.Room, identity: str, metadata: str) -> None:
        await self._call(lambda a: a.update_participant(room.name, identity, metadata=metadata))

    async def move(self, room: rtc.Room, identity: str, destination: str) -> None:
        await self._call(lambda a: a.move_participant(room.name, identity, destination))

    async def dial(self, room: rtc.Room, phone_number: str, trunk_id: str) -> None:
        await self._call(lambda a: a.dial_phone(room.name, phone_number, trunk_id))

    async def aclose(self) -> None:
        if self._admin is not None:
            await self._admin.aclose()


class HostDelegation:
    """The host actions of a real call (``CallSession``), each on the joined room."""

    _host: HostActions
    _room: rtc.Room | None

    def _need_room(self) -> rtc.Room:
        if self._room is None or not self._room.isconnected():
            raise NotConnectedError("Join the room first.")
        return self._room

    async def mute_participant(self, identity: str) -> None:
        await self._host.mute(self._need_room(), identity)

    async def remove_participant(self, identity: str) -> None:
        await self._host.remove(self._need_room(), identity)

    async def set_participant_can_publish(self, identity: str, allowed: bool) -> None:
        await self._host.set_can_publish(self._need_room(), identity, allowed)

    async def rename_participant(self, identity: str, name: str) -> None:
        await self._host.rename(self._need_room(), identity, name)

    async def set_participant_metadata(self, identity: str, metadata: str) -> None:
        await self._host.set_metadata(self._need_room(), identity, metadata)

    async def move_participant(self, identity: str, room: str) -> None:
        await self._host.move(self._need_room(), identity, room)

    async def dial_phone(self, phone_number: str, trunk_id: str) -> None:
        await self._host.dial(self._need_room(), phone_number, trunk_id)

"""Rooms on servers, outside a call: the command line's ``rooms`` and the admin console.

:class:`ServerConsole` is one server's RoomService (lkdesk.admin) with errors in the
session's words; :func:`consoles_for` makes one for every saved server that can
administer (an API key, or a saved token with the roomAdmin/roomList grants), so the UI
can show a live dashboard across servers with no backend of its own. :func:`mint_join_token`
is the command line's ``token mint``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from lkdesk.admin import (
    AdminError,
    ParticipantSummary,
    RoomAdmin,
    RoomSummary,
    TrackSummary,
)
from lkdesk.auth import ApiCredentials, AuthError, TokenGrants, decode_token, mint_token
from lkdesk.core.tls import ServerTrust
from lkdesk.session.errors import AdminActionError, InvalidTargetError
from lkdesk.session.profiles import AuthKind, ProfileBook
from lkdesk.session.targets import check_url

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

__all__ = [
    "ParticipantSummary",
    "RoomSummary",
    "RoomView",
    "ServerConsole",
    "ServerView",
    "TrackSummary",
    "consoles_for",
    "mint_join_token",
]


@dataclass(frozen=True, slots=True)
class RoomView:
    """A room and who is in it, with their tracks."""

    room: RoomSummary
    participants: tuple[ParticipantSummary, ...] = ()


@dataclass(frozen=True, slots=True)
class ServerView:
    """One server's rooms, or why they could not be listed (``error``)."""

    label: str
    url: str
    rooms: tuple[RoomView, ...] = ()
    error: str = ""


@dataclass
class ServerConsole:
    """RoomService on one server; every failure is an :class:`AdminActionError`."""

    label: str
    url: str
    api_key: str = ""
    api_secret: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    trust: ServerTrust = field(default_factory=ServerTrust)
    _admin: RoomAdmin | None = field(default=None, repr=False)

    def _service(self) -> RoomAdmin:
        if self._admin is None:
            try:
                if self.token:
                    self._admin = RoomAdmin.with_token(self.url, self.token, trust=self.trust)
                else:
                    self._admin = RoomAdmin.with_api_key(
                        self.url, self.api_key, self.api_secret, trust=self.trust
                    )
            except AdminError as exc:
                raise AdminActionError(str(exc)) from exc
        return self._admin

    async def rooms(self, *, with_participants: bool = True) -> tuple[RoomView, ...]:
        """Active rooms by name, each with its participants and their tracks."""
        try:
            rooms = sorted(await self._service().list_rooms(), key=lambda r: r.name)
            if not with_participants:
                return tuple(RoomView(r) for r in rooms)
            people = await asyncio.gather(
                *(self._service().list_participants(r.name) for r in rooms)
            )
        except AdminError as exc:
            raise AdminActionError(str(exc)) from exc
        return tuple(
            RoomView(r, tuple(sorted(p, key=lambda x: x.identity)))
            for r, p in zip(rooms, people, strict=True)
        )

    async def view(self) -> ServerView:
        """This server's rooms for a dashboard; a failure becomes the view's ``error``."""
        try:
            return ServerView(self.label, self.url, await self.rooms())
        except AdminActionError as exc:
            return ServerView(self.label, self.url, error=str(exc))

    async def create_room(
        self, name: str, *, empty_timeout: int | None = None, max_participants: int | None = None
    ) -> RoomSummary:
        if not name.strip():
            raise InvalidTargetError("room", "Enter a name for the room.")
        return await self._do(
            self._service().create_room(
                name.strip(), empty_timeout=empty_timeout, max_participants=max_participants
            )
        )

    async def delete_room(self, name: str) -> None:
        await self._do(self._service().delete_room(name))

    async def remove_participant(self, room: str, identity: str) -> None:
        await self._do(self._service().remove_participant(room, identity))

    async def mute_track(self, room: str, identity: str, track_sid: str, muted: bool) -> None:
        await self._do(self._service().mute_track(room, identity, track_sid, muted=muted))

    async def _do(self, call: Awaitable[_T]) -> _T:
        try:
            return await call
        except AdminError as exc:
            raise AdminActionError(str(exc)) from exc

    async def aclose(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            await admin.aclose()


async def consoles_for(book: ProfileBook) -> list[ServerConsole]:
    """A console for every saved server that can list rooms (API key, or an admin token)."""
    consoles: list[ServerConsole] = []
    for profile in await book.profiles():
        trust = ServerTrust(profile.trusted_ca_pem)
        if profile.auth_kind is AuthKind.API_KEY:
            key = await book.api_secret(profile.id)
            consoles.append(
                ServerConsole(profile.label, profile.server_url, profile.api_key, key, trust=trust)
            )
            continue
        for token in await book.saved_tokens(profile.id):
            try:
                grants = decode_token(token).grants
            except AuthError:
                continue
            if grants.room_list or grants.room_admin:
                consoles.append(
                    ServerConsole(profile.label, profile.server_url, token=token, trust=trust)
                )
                break
    return consoles


def mint_join_token(
    api_key: str,
    api_secret: str,
    *,
    room: str,
    identity: str,
    name: str = "",
    admin: bool = False,
    ttl: timedelta = timedelta(hours=6),
) -> str:
    """A join token for ``identity`` in ``room`` (with the roomAdmin grant when ``admin``)."""
    if not room.strip():
        raise InvalidTargetError("room", "Name the room the token is for (--room).")
    if not identity.strip():
        raise InvalidTargetError("identity", "Name the participant (--identity).")
    grants = TokenGrants(
        room=room.strip(),
        room_join=True,
        room_admin=admin,
        room_list=admin,
        can_update_own_metadata=True,
    )
    try:
        return mint_token(
            ApiCredentials(api_key, api_secret),
            identity=identity.strip(),
            grants=grants,
            name=name,
            ttl=ttl,
        )
    except AuthError as exc:
        raise InvalidTargetError("api_key", str(exc)) from exc


def console_for_url(url: str, api_key: str, api_secret: str, token: str = "") -> ServerConsole:
    """A console from the command line's options (URL checked, credentials required)."""
    url = check_url(url)
    if not token and not (api_key and api_secret):
        raise InvalidTargetError(
            "api_key", "Give --api-key and --api-secret (or LIVEKIT_API_KEY/LIVEKIT_API_SECRET)."
        )
    return ServerConsole(url, url, api_key, api_secret, token)

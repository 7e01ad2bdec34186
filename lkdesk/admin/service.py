"""RoomAdmin: LiveKit RoomService over ``livekit.api`` with timeouts and clear errors.

Authenticate with an API key/secret (a short-lived token with exactly the needed grant is
signed per call) or with a pre-made token carrying roomAdmin / roomList / roomCreate, which
is sent verbatim as the bearer. Every call runs under ``timeout`` seconds. Use as
``async with RoomAdmin.with_api_key(...) as admin:`` or call :meth:`aclose`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import aiohttp
from livekit import api as lkapi
from livekit.api.room_service import RoomService
from livekit.api.sip_service import SipService
from livekit.api.twirp_client import ServerError
from livekit.protocol import models as pm
from livekit.protocol import room as pr

from lkdesk.admin import sip
from lkdesk.admin.errors import InvalidRequestError
from lkdesk.admin.models import (
    ParticipantPermissions,
    ParticipantSummary,
    RoomSummary,
    TrackSummary,
    participant_summary,
    permission_message,
    permissions,
    room_summary,
    track_summary,
)
from lkdesk.admin.translate import Call, Context, translate
from lkdesk.core.tls import ServerTrust, client_context_async

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
_T = TypeVar("_T")
_Op = Callable[[RoomService], Awaitable[_T]]


class RoomAdmin:
    """Room and participant administration on one LiveKit server."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        trust: ServerTrust | None = None,
    ) -> None:
        self.url = _check_url(url)
        self._trust = trust or ServerTrust()
        if token is None and not (api_key and api_secret):
            raise InvalidRequestError("Give either an API key and secret, or a token.")
        if token is not None and (api_key or api_secret):
            raise InvalidRequestError("Give either an API key and secret, or a token; not both.")
        if timeout <= 0:
            raise InvalidRequestError("The timeout must be positive.")
        self.timeout = timeout
        self._api_key = api_key or ""
        self._api_secret = api_secret or ""
        self._token = token.strip() if token is not None else None
        self._api: lkapi.LiveKitAPI | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    @classmethod
    def with_api_key(
        cls,
        url: str,
        api_key: str,
        api_secret: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        trust: ServerTrust | None = None,
    ) -> RoomAdmin:
        """Sign each call with the API key/secret."""
        return cls(url, api_key=api_key, api_secret=api_secret, timeout=timeout, trust=trust)

    @classmethod
    def with_token(
        cls,
        url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        trust: ServerTrust | None = None,
    ) -> RoomAdmin:
        """Send ``token`` (with roomAdmin / roomList / roomCreate as needed) on each call."""
        return cls(url, token=token, timeout=timeout, trust=trust)

    def __repr__(self) -> str:
        auth = "token" if self._token is not None else f"api_key={self._api_key!r}"
        return f"RoomAdmin(url={self.url!r}, {auth}, timeout={self.timeout:g})"

    @property
    def uses_token(self) -> bool:
        """True when calls are authorised by a pre-made token."""
        return self._token is not None

    async def aclose(self) -> None:
        """Close the HTTP session. Safe to call twice."""
        self._closed = True
        api, self._api = self._api, None
        if api is not None:
            await api.aclose()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- rooms -----------------------------------------------------------------------------

    async def list_rooms(self, names: Iterable[str] = ()) -> tuple[RoomSummary, ...]:
        """Active rooms (all, or only those in ``names``)."""
        req = pr.ListRoomsRequest(names=list(names))
        res = await self._call(
            Call("ListRooms", "list rooms", "roomList"), lambda s: s.list_rooms(req)
        )
        return tuple(room_summary(r) for r in res.rooms)

    async def create_room(
        self,
        name: str,
        *,
        empty_timeout: int | None = None,
        max_participants: int | None = None,
        metadata: str = "",
    ) -> RoomSummary:
        """Create room ``name`` (returns the existing room when it already exists)."""
        req = pr.CreateRoomRequest(name=name, metadata=metadata)
        if empty_timeout is not None:
            req.empty_timeout = empty_timeout
        if max_participants is not None:
            req.max_participants = max_participants
        call = Call("CreateRoom", f"create room '{name}'", "roomCreate", target=f"room '{name}'")
        return room_summary(await self._call(call, lambda s: s.create_room(req)))

    async def delete_room(self, name: str) -> None:
        """Delete room ``name``, disconnecting everyone in it."""
        req = pr.DeleteRoomRequest(room=name)
        call = Call("DeleteRoom", f"delete room '{name}'", "roomCreate", name, f"room '{name}'")
        await self._call(call, lambda s: s.delete_room(req))

    async def update_room_metadata(self, room: str, metadata: str) -> RoomSummary:
        """Replace the room's metadata; participants get ``room_metadata_changed``."""
        req = pr.UpdateRoomMetadataRequest(room=room, metadata=metadata)
        call = Call(
            "UpdateRoomMetadata",
            f"update the metadata of room '{room}'",
            "roomAdmin",
            room,
            f"room '{room}'",
        )
        return room_summary(await self._call(call, lambda s: s.update_room_metadata(req)))

    # -- participants ----------------------------------------------------------------------

    async def list_participants(self, room: str) -> tuple[ParticipantSummary, ...]:
        """Participants currently in ``room``."""
        req = pr.ListParticipantsRequest(room=room)
        call = Call(
            "ListParticipants",
            f"list the participants of room '{room}'",
            "roomAdmin",
            room,
            f"room '{room}'",
        )
        res = await self._call(call, lambda s: s.list_participants(req))
        return tuple(participant_summary(p) for p in res.participants)

    async def get_participant(self, room: str, identity: str) -> ParticipantSummary:
        """The participant ``identity`` in ``room``."""
        req = pr.RoomParticipantIdentity(room=room, identity=identity)
        call = self._pcall("GetParticipant", f"look up participant '{identity}'", room, identity)
        return participant_summary(await self._call(call, lambda s: s.get_participant(req)))

    async def remove_participant(self, room: str, identity: str) -> None:
        """Disconnect ``identity`` from ``room`` (it may rejoin if its token still allows)."""
        req = pr.RoomParticipantIdentity(room=room, identity=identity)
        call = self._pcall("RemoveParticipant", f"remove participant '{identity}'", room, identity)
        await self._call(call, lambda s: s.remove_participant(req))

    async def mute_track(
        self, room: str, identity: str, track_sid: str, *, muted: bool = True
    ) -> TrackSummary:
        """Mute (or unmute, if the server allows remote unmute) a published track."""
        req = pr.MuteRoomTrackRequest(
            room=room, identity=identity, track_sid=track_sid, muted=muted
        )
        verb = "mute" if muted else "unmute"
        call = self._pcall(
            "MutePublishedTrack", f"{verb} track {track_sid} of '{identity}'", room, identity
        )
        return track_summary((await self._call(call, lambda s: s.mute_published_track(req))).track)

    async def update_participant(
        self,
        room: str,
        identity: str,
        *,
        name: str | None = None,
        metadata: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> ParticipantSummary:
        """Change name, metadata and/or attributes (an attribute set to "" is removed).

        LiveKit ignores an empty name or metadata, so neither can be cleared this way.
        """
        req = pr.UpdateParticipantRequest(
            room=room,
            identity=identity,
            name=name or "",
            metadata=metadata or "",
            attributes=dict(attributes or {}),
        )
        call = self._pcall("UpdateParticipant", f"update participant '{identity}'", room, identity)
        return participant_summary(await self._call(call, lambda s: s.update_participant(req)))

    async def update_permissions(
        self,
        room: str,
        identity: str,
        *,
        can_publish: bool | None = None,
        can_subscribe: bool | None = None,
        can_publish_data: bool | None = None,
        can_publish_sources: Iterable[str] | None = None,
        hidden: bool | None = None,
    ) -> ParticipantSummary:
        """Change the given permissions, keeping the others as they are now."""
        current = await self._raw_participant(room, identity)
        now = permissions(current.permission)
        wanted = ParticipantPermissions(
            can_subscribe=now.can_subscribe if can_subscribe is None else can_subscribe,
            can_publish=now.can_publish if can_publish is None else can_publish,
            can_publish_data=now.can_publish_data if can_publish_data is None else can_publish_data,
            can_publish_sources=now.can_publish_sources
            if can_publish_sources is None
            else tuple(can_publish_sources),
            hidden=now.hidden if hidden is None else hidden,
            can_update_metadata=now.can_update_metadata,
        )
        try:
            perm = permission_message(wanted, current.permission)
        except ValueError as exc:
            raise InvalidRequestError(f"Cannot set permissions: {exc}.") from None
        req = pr.UpdateParticipantRequest(room=room, identity=identity, permission=perm)
        call = self._pcall(
            "UpdateParticipant", f"change the permissions of '{identity}'", room, identity
        )
        return participant_summary(await self._call(call, lambda s: s.update_participant(req)))

    async def update_subscriptions(
        self, room: str, identity: str, track_sids: Iterable[str], *, subscribe: bool
    ) -> None:
        """Subscribe ``identity`` to (or unsubscribe it from) the given tracks."""
        req = pr.UpdateSubscriptionsRequest(
            room=room, identity=identity, track_sids=list(track_sids), subscribe=subscribe
        )
        verb = "subscribe" if subscribe else "unsubscribe"
        call = self._pcall("UpdateSubscriptions", f"{verb} '{identity}'", room, identity)
        await self._call(call, lambda s: s.update_subscriptions(req))

    async def send_data(
        self,
        room: str,
        data: bytes,
        *,
        topic: str | None = None,
        destination_identities: Iterable[str] = (),
        reliable: bool = True,
    ) -> None:
        """Send ``data`` to everyone in ``room`` or only to ``destination_identities``."""
        kind = pm.DataPacket.Kind.RELIABLE if reliable else pm.DataPacket.Kind.LOSSY
        req = pr.SendDataRequest(
            room=room, data=data, kind=kind, destination_identities=list(destination_identities)
        )
        if topic is not None:
            req.topic = topic
        call = Call(
            "SendData",
            f"send data in room '{room}'",
            "roomAdmin",
            room,
            f"room '{room}' (or a destination participant)",
        )
        await self._call(call, lambda s: s.send_data(req))

    async def forward_participant(self, room: str, identity: str, destination_room: str) -> None:
        """Forward ``identity`` and its tracks into ``destination_room`` too (Cloud only)."""
        req = pr.ForwardParticipantRequest(
            room=room, identity=identity, destination_room=destination_room
        )
        call = self._pcall(
            "ForwardParticipant",
            f"forward '{identity}' to room '{destination_room}'",
            room,
            identity,
            destination_room,
        )
        await self._call(call, lambda s: s.forward_participant(req))

    async def move_participant(self, room: str, identity: str, destination_room: str) -> None:
        """Move ``identity`` from ``room`` to ``destination_room`` (Cloud only)."""
        req = pr.MoveParticipantRequest(
            room=room, identity=identity, destination_room=destination_room
        )
        call = self._pcall(
            "MoveParticipant",
            f"move '{identity}' to room '{destination_room}'",
            room,
            identity,
            destination_room,
        )
        await self._call(call, lambda s: s.move_participant(req))

    # -- phones (SIP service) ------------------------------------------------------------

    async def dial_phone(
        self, room: str, phone_number: str, trunk_id: str, *, name: str = ""
    ) -> sip.PhoneCall:
        """Call ``phone_number`` through the outbound SIP trunk ``trunk_id`` into ``room``."""
        req = sip.dial_request(room, phone_number, trunk_id, name=name)
        call = Call(
            "CreateSIPParticipant",
            f"call {req.sip_call_to} into room '{room}'",
            "sip.call",
            room,
            f"SIP trunk '{req.sip_trunk_id}'",
        )
        info = await self._call(
            call,
            lambda _rooms: self._dial(req),
            at_least_s=sip.DIAL_TIMEOUT_S,
        )
        return sip.phone_call(info)

    # -- plumbing --------------------------------------------------------------------------

    async def _raw_participant(self, room: str, identity: str) -> pm.ParticipantInfo:
        req = pr.RoomParticipantIdentity(room=room, identity=identity)
        call = self._pcall("GetParticipant", f"look up participant '{identity}'", room, identity)
        return await self._call(call, lambda s: s.get_participant(req))

    @staticmethod
    def _pcall(method: str, action: str, room: str, identity: str, dest: str = "") -> Call:
        target = f"participant '{identity}' in room '{room}'"
        return Call(method, action, "roomAdmin", room, target, dest)

    async def _dial(self, request: Any) -> Any:
        sip_service = await self._sip()
        return await sip_service.create_sip_participant(request, timeout=sip.DIAL_TIMEOUT_S)

    async def _sip(self) -> SipService:
        await self._service()
        assert self._api is not None
        return self._api.sip

    async def _service(self) -> RoomService:
        """The RoomService client, on a session that verifies TLS with the server's trust
        and honours HTTPS_PROXY / NO_PROXY (``trust_env``)."""
        if self._closed:
            raise InvalidRequestError("This RoomAdmin is closed; create a new one.")
        if self._api is None:
            context = await client_context_async(self._trust)
            self._session = session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                connector=aiohttp.TCPConnector(ssl=context),
                trust_env=True,
            )
            if self._token is not None:
                self._api = lkapi.LiveKitAPI.with_token(self._token, self.url, session=session)
            else:
                self._api = lkapi.LiveKitAPI(
                    self.url, self._api_key, self._api_secret, session=session
                )
        return self._api.room

    async def _call(self, call: Call, op: _Op[_T], *, at_least_s: float = 0.0) -> _T:
        """Run ``op`` under the admin's timeout (or ``at_least_s`` when that is longer)."""
        service = await self._service()
        log.debug("RoomService.%s on %s", call.method, self.url)
        limit = max(self.timeout, at_least_s)
        try:
            async with asyncio.timeout(limit):
                return await op(service)
        except (ServerError, aiohttp.ClientError, TimeoutError) as exc:
            error = translate(exc, call, replace(self._context(), timeout=limit))
            log.info("RoomService.%s failed: %s", call.method, type(error).__name__)
            # aiohttp response errors carry the request headers (the bearer): do not chain.
            if isinstance(exc, aiohttp.ClientResponseError):
                raise error from None
            raise error from exc

    def _context(self) -> Context:
        secrets = tuple(s for s in (self._api_secret, self._token) if s)
        return Context(self.url, self.timeout, self._token, secrets)


def _check_url(url: str) -> str:
    text = url.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        ok = parts.scheme.lower() in ("ws", "wss", "http", "https") and bool(parts.hostname)
        ok = ok and not (parts.username or parts.password or parts.query or parts.fragment)
    except ValueError:
        ok = False
    if not ok:
        raise InvalidRequestError(
            "The server URL is not usable; enter e.g. https://example.livekit.cloud or "
            "http://localhost:7880."
        )
    return text

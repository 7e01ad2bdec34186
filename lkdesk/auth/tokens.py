"""LiveKit access tokens: decode without verifying, check expiry, mint from key/secret.

Decoding is for display only (identity, room, grants, expiry); the server verifies the
signature. Nothing here logs or puts a token in an exception message.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # livekit.api (and aiohttp under it) loads when a token is minted
    from livekit import api as lkapi

from lkdesk.auth.errors import MalformedTokenError, TokenMintError
from lkdesk.auth.profiles import ApiCredentials

DEFAULT_TTL = timedelta(hours=6)
TRACK_SOURCES = ("camera", "microphone", "screen_share", "screen_share_audio")


@dataclass(frozen=True)
class TokenGrants:
    """The ``video`` grant of a LiveKit token, with the server's defaults applied."""

    room: str = ""
    room_join: bool = False
    room_admin: bool = False
    room_list: bool = False
    room_create: bool = False
    room_record: bool = False
    destination_room: str = ""
    can_publish: bool = True
    can_subscribe: bool = True
    can_publish_data: bool = True
    can_publish_sources: tuple[str, ...] = ()  # empty: every source allowed
    can_update_own_metadata: bool = False
    hidden: bool = False
    ingress_admin: bool = False


@dataclass(frozen=True)
class TokenInfo:
    """What a token says about its holder; produced by :func:`decode_token`."""

    identity: str
    api_key: str
    grants: TokenGrants
    expires_at: datetime
    not_before: datetime | None = None
    name: str = ""
    metadata: str = ""
    attributes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    kind: str = ""

    @property
    def room(self) -> str:
        """The room the ``video`` grant names ('' when none)."""
        return self.grants.room

    def is_expired(self, now: datetime | None = None) -> bool:
        """True when ``now`` (default: current UTC time) is at or past the expiry."""
        return _now(now) >= self.expires_at

    def expires_within(self, delta: timedelta, now: datetime | None = None) -> bool:
        """True when the token is expired or expires within ``delta``."""
        return _now(now) + delta >= self.expires_at


def decode_token(token: str) -> TokenInfo:
    """Decode a LiveKit JWT WITHOUT verifying its signature.

    Raises :class:`MalformedTokenError` with a message that describes the problem (never
    the token itself).
    """
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise MalformedTokenError(
            f"This is not a LiveKit token: a token has 3 dot-separated parts, this has "
            f"{len(parts)}. Copy the whole token again."
        )
    header = _json_part(parts[0], "header")
    claims = _json_part(parts[1], "payload")
    if "alg" not in header:
        raise MalformedTokenError("This is not a LiveKit token: its header names no algorithm.")
    try:
        return _token_info(claims)
    except (TypeError, ValueError, OverflowError) as exc:
        raise MalformedTokenError(f"The token's claims are not what LiveKit uses: {exc}") from None


def is_expired(token: str | TokenInfo, now: datetime | None = None) -> bool:
    """True when the token (string or decoded) is expired at ``now``."""
    return _info(token).is_expired(now)


def expires_within(token: str | TokenInfo, delta: timedelta, now: datetime | None = None) -> bool:
    """True when the token (string or decoded) expires within ``delta`` of ``now``."""
    return _info(token).expires_within(delta, now)


def mint_token(
    credentials: ApiCredentials,
    *,
    identity: str,
    grants: TokenGrants,
    name: str = "",
    metadata: str = "",
    attributes: Mapping[str, str] | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """Sign a token with the profile's API key/secret carrying exactly ``grants``."""
    if ttl <= timedelta(0):
        raise TokenMintError("A token's lifetime must be positive.")
    unknown = set(grants.can_publish_sources) - set(TRACK_SOURCES)
    if unknown:
        raise TokenMintError(
            f"Unknown publish source(s) {sorted(unknown)}; use {', '.join(TRACK_SOURCES)}."
        )
    from livekit import api as lkapi

    token = lkapi.AccessToken(credentials.api_key, credentials.api_secret)
    token.with_identity(identity).with_ttl(ttl).with_grants(_video_grants(grants))
    if name:
        token.with_name(name)
    if metadata:
        token.with_metadata(metadata)
    if attributes:
        token.with_attributes(dict(attributes))
    try:
        return str(token.to_jwt())
    except ValueError as exc:
        raise TokenMintError(f"Cannot mint this token: {exc}.") from None


def _video_grants(grants: TokenGrants) -> lkapi.VideoGrants:
    from livekit import api as lkapi

    return lkapi.VideoGrants(
        room=grants.room,
        room_join=grants.room_join or None,
        room_admin=grants.room_admin or None,
        room_list=grants.room_list or None,
        room_create=grants.room_create or None,
        room_record=grants.room_record or None,
        destination_room=grants.destination_room or None,
        can_publish=grants.can_publish,
        can_subscribe=grants.can_subscribe,
        can_publish_data=grants.can_publish_data,
        can_publish_sources=list(grants.can_publish_sources) or None,
        can_update_own_metadata=grants.can_update_own_metadata or None,
        hidden=grants.hidden or None,
        ingress_admin=grants.ingress_admin or None,
    )


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _info(token: str | TokenInfo) -> TokenInfo:
    return token if isinstance(token, TokenInfo) else decode_token(token)


def _json_part(part: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        raise MalformedTokenError(
            f"This is not a LiveKit token: its {what} is not base64url-encoded JSON. "
            "Copy the whole token again."
        ) from None
    if not isinstance(value, dict):
        raise MalformedTokenError(f"This is not a LiveKit token: its {what} is not an object.")
    return value


def _token_info(claims: dict[str, Any]) -> TokenInfo:
    if "exp" not in claims:
        raise MalformedTokenError("The token has no expiry (exp); LiveKit rejects such tokens.")
    video = claims.get("video")
    video = {} if video is None else video
    if not isinstance(video, dict):
        raise TypeError("the video grant is not an object")
    attributes = claims.get("attributes")
    attributes = {} if attributes is None else attributes
    if not isinstance(attributes, dict):
        raise TypeError("attributes is not an object")
    nbf = claims.get("nbf")
    return TokenInfo(
        identity=str(claims.get("sub") or claims.get("jti") or ""),
        api_key=str(claims.get("iss", "")),
        grants=_grants(video),
        expires_at=_timestamp(claims["exp"]),
        not_before=_timestamp(nbf) if nbf is not None else None,
        name=str(claims.get("name", "")),
        metadata=str(claims.get("metadata", "")),
        attributes=MappingProxyType({str(k): str(v) for k, v in attributes.items()}),
        kind=str(claims.get("kind", "")),
    )


def _grants(video: dict[str, Any]) -> TokenGrants:
    can_publish = bool(video.get("canPublish", True))
    sources = video.get("canPublishSources") or ()
    return TokenGrants(
        room=str(video.get("room", "")),
        room_join=bool(video.get("roomJoin", False)),
        room_admin=bool(video.get("roomAdmin", False)),
        room_list=bool(video.get("roomList", False)),
        room_create=bool(video.get("roomCreate", False)),
        room_record=bool(video.get("roomRecord", False)),
        destination_room=str(video.get("destinationRoom", "")),
        can_publish=can_publish,
        can_subscribe=bool(video.get("canSubscribe", True)),
        can_publish_data=bool(video.get("canPublishData", can_publish)),
        can_publish_sources=tuple(str(s) for s in sources),
        can_update_own_metadata=bool(video.get("canUpdateOwnMetadata", False)),
        hidden=bool(video.get("hidden", False)),
        ingress_admin=bool(video.get("ingressAdmin", False)),
    )


def _timestamp(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("a time claim is not a number")
    return datetime.fromtimestamp(value, UTC)

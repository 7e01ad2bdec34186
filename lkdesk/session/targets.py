"""Where to join: the demo room, a URL + token, a URL + API key, or a saved profile.

Validation happens here so every screen gives the same message for the same mistake;
each :class:`InvalidTargetError` names the input field to fix.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lkdesk.auth import (
    ApiCredentials,
    InvalidProfileError,
    MalformedTokenError,
    TokenGrants,
    TokenInfo,
    TokenMintError,
    decode_token,
    mint_token,
)
from lkdesk.auth.profiles import normalise_url
from lkdesk.core.tls import CaCertificateError, ServerTrust, describe_ca
from lkdesk.session.errors import InvalidTargetError


@dataclass(frozen=True, slots=True)
class DemoTarget:
    """The simulated demo room."""

    display_name: str = ""


@dataclass(frozen=True, slots=True)
class TokenTarget:
    """A server URL and an access token made by someone else.

    ``trusted_ca_pem``: a CA certificate the user chose to trust for this server.
    """

    url: str
    token: str = field(repr=False)
    trusted_ca_pem: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class ApiKeyTarget:
    """A server URL and API key/secret: lkdesk mints its own token for ``room``."""

    url: str
    api_key: str
    api_secret: str = field(repr=False)
    room: str = ""
    display_name: str = ""
    trusted_ca_pem: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class ProfileTarget:
    """A saved profile: API-key profiles need ``room``; token profiles name a saved token."""

    profile_id: str
    room: str = ""
    display_name: str = ""
    identity: str = ""  # token profiles: the identity of the saved token


JoinTarget = DemoTarget | TokenTarget | ApiKeyTarget | ProfileTarget


@dataclass(frozen=True, slots=True)
class TokenDetails:
    """What a token says, for display before joining."""

    identity: str
    name: str
    room: str
    expires_at: datetime
    is_admin: bool
    can_publish: bool
    can_subscribe: bool
    can_publish_data: bool

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.expires_at

    def expires_in_words(self, now: datetime | None = None) -> str:
        """E.g. "expires in 5 h 59 min" or "expired 3 min ago"."""
        seconds = int((self.expires_at - (now or datetime.now(UTC))).total_seconds())
        span = _span(abs(seconds))
        return f"expires in {span}" if seconds > 0 else f"expired {span} ago"


@dataclass(frozen=True, slots=True)
class AdminAccess:
    """How to call RoomService for admin actions in this room."""

    url: str
    api_key: str = ""
    api_secret: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    trust: ServerTrust = field(default_factory=ServerTrust)


@dataclass(frozen=True, slots=True)
class Credentials:
    """A resolved target: everything needed to join one room."""

    url: str
    token: str = field(repr=False)
    room: str
    identity: str
    name: str
    name_editable: bool
    admin: AdminAccess | None
    admin_reason: str = ""  # why admin actions are unavailable, when they are
    remint: Callable[[str], Credentials] | None = field(default=None, repr=False, compare=False)
    """For API-key targets: a fresh token for another display name."""
    trust: ServerTrust = field(default_factory=ServerTrust)
    """What to trust for TLS (wss://, https://, TURN/TLS) besides the system trust store."""


def check_url(url: str) -> str:
    """The normalised server URL, or :class:`InvalidTargetError` for field ``url``."""
    if not url.strip():
        raise InvalidTargetError(
            "url", "Enter the server URL, e.g. wss://example.livekit.cloud or ws://localhost:7880."
        )
    try:
        return normalise_url(url)
    except InvalidProfileError as exc:
        raise InvalidTargetError("url", str(exc)) from None


def describe_token(token: str) -> TokenDetails:
    """Decode ``token`` for display (no signature check); field ``token`` on error."""
    if not token.strip():
        raise InvalidTargetError("token", "Paste the access token you were given.")
    try:
        info = decode_token(token)
    except MalformedTokenError as exc:
        raise InvalidTargetError("token", str(exc)) from None
    return _details(info)


def _details(info: TokenInfo) -> TokenDetails:
    grants = info.grants
    return TokenDetails(
        identity=info.identity,
        name=info.name,
        room=info.room,
        expires_at=info.expires_at,
        is_admin=grants.room_admin,
        can_publish=grants.can_publish,
        can_subscribe=grants.can_subscribe,
        can_publish_data=grants.can_publish_data,
    )


def resolve_token(target: TokenTarget) -> Credentials:
    """Check a URL + token target and turn it into :class:`Credentials`."""
    url = check_url(target.url)
    details = describe_token(target.token)
    if details.expired():
        raise InvalidTargetError(
            "token", f"This token {details.expires_in_words()}. Ask for a new one."
        )
    if not details.room:
        raise InvalidTargetError("token", "This token names no room; it cannot join one.")
    trust = check_trusted_ca(target.trusted_ca_pem)
    admin = AdminAccess(url, token=target.token.strip(), trust=trust) if details.is_admin else None
    return Credentials(
        url=url,
        token=target.token.strip(),
        room=details.room,
        identity=details.identity,
        name=details.name or details.identity,
        name_editable=False,
        admin=admin,
        admin_reason="" if admin else "Your token does not have the roomAdmin grant.",
        trust=trust,
    )


def resolve_api_key(target: ApiKeyTarget) -> Credentials:
    """Check a URL + API key target and mint a join token for it."""
    url = check_url(target.url)
    if not target.api_key.strip():
        raise InvalidTargetError(
            "api_key", "Enter the API key (for livekit-server --dev it is devkey)."
        )
    if not target.api_secret:
        raise InvalidTargetError(
            "api_secret", "Enter the API secret (for livekit-server --dev it is secret)."
        )
    room = check_room(target.room)
    name = target.display_name.strip() or "Guest"
    credentials = ApiCredentials(target.api_key.strip(), target.api_secret)
    return mint_credentials(url, credentials, room, name, check_trusted_ca(target.trusted_ca_pem))


def check_room(room: str) -> str:
    room = room.strip()
    if not room:
        raise InvalidTargetError("room", "Enter the name of the room to join.")
    return room


def check_trusted_ca(pem: str) -> ServerTrust:
    """The trust for a CA the user picked; field ``trusted_ca`` when it is no certificate."""
    if not pem.strip():
        return ServerTrust()
    try:
        describe_ca(pem)
    except CaCertificateError as exc:
        raise InvalidTargetError("trusted_ca", str(exc)) from None
    return ServerTrust(pem.strip())


def mint_credentials(
    url: str,
    credentials: ApiCredentials,
    room: str,
    name: str,
    trust: ServerTrust | None = None,
) -> Credentials:
    """Mint a token for ``name`` in ``room``; admin actions use the same key."""
    trust = trust or ServerTrust()
    identity = f"{_slug(name)}-{secrets.token_hex(2)}"
    grants = TokenGrants(room=room, room_join=True, can_update_own_metadata=True)
    try:
        token = mint_token(credentials, identity=identity, grants=grants, name=name)
    except TokenMintError as exc:
        raise InvalidTargetError("api_key", str(exc)) from None
    admin = AdminAccess(
        url, api_key=credentials.api_key, api_secret=credentials.api_secret, trust=trust
    )

    def remint(new_name: str) -> Credentials:
        return mint_credentials(url, credentials, room, new_name.strip() or name, trust)

    return Credentials(url, token, room, identity, name, True, admin, remint=remint, trust=trust)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:24] or "guest"


def _span(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days"

"""Server profiles: what lkdesk remembers about a LiveKit server (no secrets here).

A :class:`Profile` holds only non-secret data and is what the config file stores. The
API secret and saved tokens live in a secret store and travel in :class:`ApiCredentials`
and :class:`SavedToken`, whose secret fields are hidden from ``repr``. A CA certificate the
user chose to trust for the server is public data and stays in the profile.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlsplit

from lkdesk.auth.errors import InvalidProfileError
from lkdesk.core.tls import CaCertificateError, describe_ca

URL_SCHEMES = ("ws", "wss", "http", "https")


class AuthKind(StrEnum):
    """How a profile authenticates."""

    API_KEY = "api_key"  # API key + secret: tokens are minted locally
    TOKENS = "tokens"  # only tokens pasted by the user, saved per room and identity


@dataclass(frozen=True)
class TokenRef:
    """Names a saved token: the room and identity it was issued for."""

    room: str
    identity: str


@dataclass(frozen=True)
class Profile:
    """A LiveKit server as the user named it. Contains no secret."""

    id: str
    label: str
    server_url: str
    auth_kind: AuthKind
    api_key: str = ""  # the public half of the key pair; the secret is in the secret store
    tokens: tuple[TokenRef, ...] = ()
    trusted_ca_pem: str = field(default="", repr=False)  # PEM; empty: system trust store only

    @classmethod
    def new(cls, label: str, server_url: str, auth_kind: AuthKind, *, api_key: str = "") -> Profile:
        """A fresh profile with a new random id (validated)."""
        return cls(uuid.uuid4().hex, label, server_url, auth_kind, api_key).validated()

    def validated(self) -> Profile:
        """Return this profile with a normalised URL and label, or raise InvalidProfileError."""
        label = self.label.strip()
        if not label:
            raise InvalidProfileError("A profile needs a name; enter a label for it.")
        if self.auth_kind is AuthKind.API_KEY and not self.api_key.strip():
            raise InvalidProfileError(f"Profile '{label}' uses an API key: enter the API key.")
        if self.trusted_ca_pem:
            try:
                describe_ca(self.trusted_ca_pem)
            except CaCertificateError as exc:
                raise InvalidProfileError(str(exc)) from None
        return replace(
            self,
            label=label,
            server_url=normalise_url(self.server_url),
            api_key=self.api_key.strip(),
        )

    def with_token(self, ref: TokenRef) -> Profile:
        """This profile with ``ref`` added to its saved tokens (no duplicates)."""
        if ref in self.tokens:
            return self
        return replace(self, tokens=(*self.tokens, ref))

    def without_token(self, ref: TokenRef) -> Profile:
        """This profile with ``ref`` removed from its saved tokens."""
        return replace(self, tokens=tuple(t for t in self.tokens if t != ref))


@dataclass(frozen=True)
class ApiCredentials:
    """An API key and its secret. The secret never shows in ``repr``."""

    api_key: str
    api_secret: str = field(repr=False)


@dataclass(frozen=True)
class SavedToken:
    """A token saved for a room and identity. The token never shows in ``repr``."""

    room: str
    identity: str
    token: str = field(repr=False)


def normalise_url(url: str) -> str:
    """Check a server URL (ws/wss/http/https with a host) and strip trailing slashes."""
    text = url.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        has_host = bool(parts.hostname)
    except ValueError:
        has_host = False
        parts = None
    if parts is None or parts.scheme.lower() not in URL_SCHEMES or not has_host:
        raise InvalidProfileError(
            "The server URL is not usable; enter e.g. wss://example.livekit.cloud "
            "or http://localhost:7880."
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidProfileError(
            "A server URL must not contain a user name, password, query or fragment; "
            "enter only the scheme, host, port and path."
        )
    return text

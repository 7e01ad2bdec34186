"""Turn livekit-api / aiohttp failures into :mod:`lkdesk.admin.errors` with actionable text."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from livekit.api.twirp_client import ServerError

from lkdesk.admin.errors import (
    AdminCertificateError,
    AdminError,
    AdminServerError,
    AdminTimeoutError,
    AdminUnreachableError,
    InvalidCredentialsError,
    InvalidRequestError,
    MissingGrantError,
    NotFoundError,
    UnsupportedByServerError,
)
from lkdesk.auth.errors import MalformedTokenError
from lkdesk.auth.tokens import TokenInfo, decode_token
from lkdesk.core.tls import certificate_problem

_INVALID_CODES = {
    "invalid_argument",
    "malformed",
    "out_of_range",
    "failed_precondition",
    "already_exists",
}


@dataclass(frozen=True)
class Call:
    """One RoomService call, described for error messages."""

    method: str  # Twirp method name, e.g. "MutePublishedTrack"
    action: str  # what the user tried, e.g. "mute a track"
    grant: str  # the grant the server checks: roomAdmin, roomList or roomCreate
    room: str = ""
    target: str = ""  # what a not-found refers to, e.g. "participant 'bob' in room 'x'"
    destination_room: str = ""


@dataclass(frozen=True)
class Context:
    """Who called where: used to word errors. ``secrets`` are scrubbed from server text."""

    url: str
    timeout: float
    token: str | None = None
    secrets: tuple[str, ...] = ()


def translate(exc: BaseException, call: Call, ctx: Context) -> AdminError:
    """The documented error for ``exc`` raised while making ``call``."""
    if isinstance(exc, ServerError):
        return _server_error(exc, call, ctx)
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return AdminTimeoutError(
            f"The LiveKit server at {ctx.url} did not answer within {ctx.timeout:g} s when "
            f"trying to {call.action}. Check that it is running and reachable, then retry."
        )
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cert_error = exc.certificate_error
        if isinstance(cert_error, ssl.SSLCertVerificationError):
            problem = certificate_problem(cert_error, _host(ctx.url))
            return AdminCertificateError(problem.message, problem.fault.value)
        return AdminCertificateError(
            f"The TLS certificate of {ctx.url} is not trusted, so lkdesk did not send the "
            "request. Check the URL, or trust this server's CA in the server's settings.",
            "invalid",
        )
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return AdminUnreachableError(
            f"The proxy (HTTPS_PROXY) refused to connect to {_host(ctx.url)} (HTTP "
            f"{exc.status}). Ask your network administrator to allow this server, or add it "
            "to NO_PROXY if it is reachable directly."
        )
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return AdminUnreachableError(
            f"The proxy (HTTPS_PROXY) could not be reached to call {ctx.url}. Check the "
            "proxy setting or that the proxy is running."
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or type(exc.os_error).__name__
        return AdminUnreachableError(
            f"Cannot reach the LiveKit server at {ctx.url} ({reason}). Check the URL and "
            "that the server is running."
        )
    return AdminUnreachableError(
        f"The connection to {ctx.url} failed while trying to {call.action} "
        f"({type(exc).__name__}). Check the network and the server, then retry."
    )


def _server_error(exc: ServerError, call: Call, ctx: Context) -> AdminError:
    code, status = exc.code, exc.status
    text = _scrub(exc.message, ctx.secrets)
    if (
        code == "permission_denied"
        or status == 403
        or (status == 401 and "permission" in text.lower())
    ):
        return _missing_grant(call, ctx)
    if status == 401 or code == "unauthenticated":
        return _invalid_credentials(ctx)
    if "sip not connected" in text.lower():
        # the open-source server without Redis and livekit-sip: no SIP service at all
        return UnsupportedByServerError(
            f"Cannot {call.action}: this LiveKit server has no SIP service configured, so it "
            "cannot call phones. Use LiveKit Cloud with an outbound SIP trunk, or run "
            "livekit-sip (which needs Redis) beside your server.",
            call.method,
        )
    if code in ("unimplemented", "bad_route") or "not implemented" in text.lower():
        # livekit-server (open source) answers Forward/Move with 500 "not implemented"
        return _unsupported(call, text)
    if code == "not_found":
        what = f"room '{call.room}'" if "room" in text.lower() else call.target
        return NotFoundError(f"Cannot {call.action}: {what} does not exist ({text}).", what)
    if code == "unavailable" and "no response" in text.lower():
        return NotFoundError(
            f"Cannot {call.action}: {call.target} is not connected (the server found no live "
            "session to deliver the request to). Check the room and participant names.",
            call.target,
        )
    if code in _INVALID_CODES:
        return InvalidRequestError(f"The server refused to {call.action}: {text or code}.")
    if status == 404:
        return AdminServerError(
            f"{ctx.url} answered, but not like a LiveKit server's API (HTTP 404). "
            "Check the server URL.",
            code,
            status,
        )
    return AdminServerError(
        f"The server failed to {call.action} ({code}, HTTP {status}: {text or 'no details'}). "
        "Try again later; if it persists, check the server's log.",
        code,
        status,
    )


def _missing_grant(call: Call, ctx: Context) -> MissingGrantError:
    grant, room = call.grant, call.room
    info = _decoded(ctx.token)
    if info is not None and call.destination_room:
        admin_ok = info.grants.room_admin and info.grants.room == call.room
        if admin_ok and info.grants.destination_room != call.destination_room:
            grant, room = "destinationRoom", call.destination_room
    scope = f" for room '{room}'" if room and grant in ("roomAdmin", "destinationRoom") else ""
    holder = "token" if ctx.token else "API key"
    return MissingGrantError(
        f"Not allowed to {call.action}: the {holder} lacks the {grant} grant{scope}. "
        f"Use a token that carries {grant}{scope}, or the profile's API key and secret.",
        grant,
        room,
    )


def _invalid_credentials(ctx: Context) -> InvalidCredentialsError:
    if ctx.token is None:
        return InvalidCredentialsError(
            f"The server at {ctx.url} rejected the API key or secret. Check both in the "
            "profile: they must be a key pair configured on this server."
        )
    info = _decoded(ctx.token)
    if info is not None and info.is_expired():
        when = info.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        return InvalidCredentialsError(f"The token expired at {when}; get a new token.")
    return InvalidCredentialsError(
        f"The server at {ctx.url} rejected the token: it is malformed, not yet valid, or "
        "signed with a key this server does not know. Get a new token for this server."
    )


def _unsupported(call: Call, text: str) -> UnsupportedByServerError:
    return UnsupportedByServerError(
        f"This server does not support {call.method} (needed to {call.action}): "
        f"{text or 'not implemented'}. It may be too old, or the feature may exist only on "
        "LiveKit Cloud.",
        call.method,
    )


def _decoded(token: str | None) -> TokenInfo | None:
    if token is None:
        return None
    try:
        return decode_token(token)
    except MalformedTokenError:
        return None


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def _host(url: str) -> str:
    return urlsplit(url).hostname or url

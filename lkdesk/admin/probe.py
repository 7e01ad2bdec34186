"""Check a server before it is saved: does it answer, and does it accept these credentials?

An API key and secret are checked with RoomService ``ListRooms`` (any valid key pair may
list rooms); a token with the signalling endpoint's ``/rtc/validate``, which checks the
signature, expiry and join grant without joining. Errors are :mod:`lkdesk.admin.errors`
with messages that say what to fix; nothing here logs or repeats a secret.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from lkdesk.admin.errors import (
    AdminServerError,
    AdminTimeoutError,
    AdminUnreachableError,
    InvalidCredentialsError,
    MissingGrantError,
)
from lkdesk.admin.service import RoomAdmin
from lkdesk.auth.errors import MalformedTokenError
from lkdesk.auth.tokens import decode_token

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 8.0


async def check_api_key(
    url: str, api_key: str, api_secret: str, within_s: float = CHECK_TIMEOUT
) -> int:
    """Raise unless the server at ``url`` accepts the key pair; returns its active rooms."""
    async with RoomAdmin.with_api_key(url, api_key, api_secret, timeout=within_s) as admin:
        rooms = await admin.list_rooms()
    log.info("server check: %s accepted API key %s", url, api_key)
    return len(rooms)


async def check_token(url: str, token: str, within_s: float = CHECK_TIMEOUT) -> None:
    """Raise unless the server at ``url`` would let ``token`` join."""
    endpoint = _validate_url(url)
    headers = {"Authorization": f"Bearer {token.strip()}"}
    try:
        async with (
            asyncio.timeout(within_s),
            aiohttp.ClientSession() as http,
            http.get(endpoint, headers=headers) as response,
        ):
            status = response.status
            body = (await response.text(errors="replace"))[:300]
    except TimeoutError:
        raise AdminTimeoutError(
            f"The LiveKit server at {url} did not answer within {within_s:g} s. Check that it "
            "is running and reachable, then try again."
        ) from None
    except aiohttp.ClientConnectorError as exc:
        reason = exc.os_error.strerror or type(exc.os_error).__name__
        raise AdminUnreachableError(
            f"Cannot reach the LiveKit server at {url} ({reason}). Check the URL and that "
            "the server is running."
        ) from None
    except aiohttp.ClientError as exc:
        raise AdminUnreachableError(
            f"The connection to {url} failed ({type(exc).__name__}). Check the URL and the "
            "network, then try again."
        ) from None
    _raise_for(status, body.replace(token.strip(), "<token>"), url, token)
    log.info("server check: %s accepts the token", url)


def _raise_for(status: int, body: str, url: str, token: str) -> None:
    if status == 200:
        return
    lowered = body.lower()
    if status == 401:
        if "permission" in lowered:
            raise MissingGrantError(
                "The server accepts the token but it does not allow joining a room (it needs "
                "the roomJoin grant and a room name). Ask for a token with join permission.",
                "roomJoin",
            )
        try:
            expired = decode_token(token).is_expired()
        except MalformedTokenError:
            expired = False
        if expired:
            raise InvalidCredentialsError("The token has expired; ask for a new one.")
        raise InvalidCredentialsError(
            f"The server at {url} rejected the token: it was signed with a key this server "
            "does not know, or its signature does not match. Get a token made for this server."
        )
    if status == 404:
        raise AdminServerError(
            f"{url} answered, but not like a LiveKit server (HTTP 404 for /rtc/validate). "
            "Check the server URL.",
            status=status,
        )
    raise AdminServerError(
        f"The server at {url} refused the token (HTTP {status}: {body.strip() or 'no details'}).",
        status=status,
    )


def _validate_url(url: str) -> str:
    parts = urlsplit(url.strip().rstrip("/"))
    scheme = {"wss": "https", "ws": "http"}.get(parts.scheme.lower(), parts.scheme.lower())
    return urlunsplit((scheme, parts.netloc, parts.path + "/rtc/validate", "", ""))

"""Check a server before saving it, and say which field to fix when it fails."""

from __future__ import annotations

from lkdesk.session.errors import InvalidTargetError
from lkdesk.session.targets import ApiKeyTarget, TokenTarget, check_url


async def check_server(target: TokenTarget | ApiKeyTarget, within_s: float = 8.0) -> None:
    """Raise :class:`InvalidTargetError` unless the server answers and takes the credentials.

    The error's ``field`` is ``url`` when nothing (or no LiveKit server) answered, and the
    credential field (``token`` or ``api_secret``) when the server refused them.
    """
    # RoomService's client (aiohttp, livekit.api) loads when a server is checked, not at start.
    from lkdesk.admin import (
        AdminError,
        AdminUnreachableError,
        InvalidCredentialsError,
        MissingGrantError,
    )
    from lkdesk.admin.probe import check_api_key, check_token

    url = check_url(target.url)
    secret_field = "token" if isinstance(target, TokenTarget) else "api_secret"
    try:
        if isinstance(target, TokenTarget):
            await check_token(url, target.token, within_s)
        else:
            if not target.api_key.strip():
                raise InvalidTargetError("api_key", "Enter the API key.")
            if not target.api_secret:
                raise InvalidTargetError("api_secret", "Enter the API secret.")
            await check_api_key(url, target.api_key.strip(), target.api_secret, within_s)
    except AdminUnreachableError as exc:
        raise InvalidTargetError("url", f"Not saved: {exc}") from None
    except (InvalidCredentialsError, MissingGrantError) as exc:
        raise InvalidTargetError(secret_field, f"Not saved: {exc}") from None
    except AdminError as exc:
        raise InvalidTargetError("url", f"Not saved: {exc}") from None

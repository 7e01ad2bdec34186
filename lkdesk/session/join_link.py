"""Meeting links: ``lkdesk://join?…`` and LiveKit Meet's ``/custom?liveKitUrl=…`` links.

lkdesk's own format (what the ``lkdesk://`` URL handler receives)::

    lkdesk://join?url=wss://example.livekit.cloud&room=standup&token=eyJ…#passphrase

``url`` is the server, ``token`` an access token (its room wins), ``room`` names the room
when there is no token (a saved API-key profile for that server then mints one). The
fragment is the room's end-to-end encryption passphrase (as in LiveKit Meet's links); it
fills the passphrase field, and joining encrypts with it. LiveKit
Meet's custom-server links (``https://meet.livekit.io/custom?liveKitUrl=…&token=…``) mean
the same and are accepted wherever a link is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from lkdesk.session.errors import InvalidTargetError
from lkdesk.session.targets import check_url, describe_token

SCHEME = "lkdesk"
_URL_KEYS = ("url", "liveKitUrl", "livekitUrl", "server")


@dataclass(frozen=True, slots=True)
class JoinLink:
    """What a meeting link says: a server and a token, or a server and a room."""

    url: str
    token: str = field(default="", repr=False)
    room: str = ""
    passphrase: str = field(default="", repr=False)  # end-to-end encryption (the #fragment)


def looks_like_link(text: str) -> bool:
    """True for text that should be parsed as a meeting link rather than a server URL."""
    text = text.strip()
    if text.lower().startswith(f"{SCHEME}:"):
        return True
    try:
        query = urlsplit(text).query
    except ValueError:
        return False
    return any(f"{key}=" in query for key in (*_URL_KEYS, "token"))


def parse_link(text: str) -> JoinLink:
    """Parse a meeting link; InvalidTargetError (field ``link``) says what is wrong."""
    text = text.strip()
    if not text:
        raise InvalidTargetError("link", "Paste the meeting link you were sent.")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise InvalidTargetError("link", "This is not a meeting link; paste it again.") from None
    query = {key: values[-1] for key, values in parse_qs(parts.query).items() if values}
    scheme = parts.scheme.lower()
    if scheme == SCHEME:
        action = (parts.netloc or parts.path.strip("/")).lower()
        if action not in ("join", ""):
            raise InvalidTargetError(
                "link", f"lkdesk does not know the link action '{action}'; only 'join' exists."
            )
    elif scheme in ("http", "https"):
        if parts.path.startswith("/rooms/") and not query.get("token"):
            raise InvalidTargetError(
                "link",
                "This LiveKit Meet link joins a room on LiveKit's own demo servers, which give "
                "tokens only to their web page. Ask for a link with a server URL and a token.",
            )
    else:
        raise InvalidTargetError(
            "link", "A meeting link starts with lkdesk:// or https://; paste the whole link."
        )
    server = next((query[key] for key in _URL_KEYS if query.get(key)), "")
    if not server:
        raise InvalidTargetError("link", "The link names no server (its url= part is missing).")
    try:
        server = check_url(server)
    except InvalidTargetError as exc:
        raise InvalidTargetError("link", f"The link's server: {exc}") from None
    token = query.get("token", "").strip()
    room = query.get("room", "").strip()
    if token:
        try:
            details = describe_token(token)
        except InvalidTargetError as exc:
            raise InvalidTargetError("link", f"The link's token: {exc}") from None
        if room and details.room and room != details.room:
            raise InvalidTargetError(
                "link",
                f"The link names room '{room}' but its token is for room '{details.room}'. "
                "Ask for a new link.",
            )
        room = details.room or room
    elif not room:
        raise InvalidTargetError("link", "The link has neither a token nor a room name.")
    return JoinLink(server, token, room, unquote(parts.fragment))


def make_link(url: str, token: str = "", room: str = "") -> str:
    """An ``lkdesk://join`` link (for sharing and tests)."""
    params = {"url": url, **({"room": room} if room else {}), **({"token": token} if token else {})}
    return f"{SCHEME}://join?{urlencode(params)}"

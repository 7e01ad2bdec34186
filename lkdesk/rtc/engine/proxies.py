"""Which HTTP proxy signalling goes through: the user's environment and system settings.

``HTTPS_PROXY``/``https_proxy`` (and ``HTTP_PROXY`` for ``ws://``) name the proxy and
``NO_PROXY`` exempts hosts, as for every other program; on macOS and Windows the system's
proxy settings apply too (urllib reads them). websockets (>= 15) tunnels the WebSocket
through the proxy with CONNECT. Media never goes through an HTTP proxy: when UDP is
blocked, TURN over TLS is the way out (ice.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import InvalidURI
from websockets.proxy import get_proxy
from websockets.uri import parse_uri


def proxy_for(ws_url: str) -> str | None:
    """The proxy URL to use for ``ws_url``, or None to connect directly."""
    try:
        return get_proxy(parse_uri(ws_url))
    except InvalidURI:
        return None


def display_proxy(proxy: str) -> str:
    """``proxy`` without its user name and password, for messages and logs."""
    parts = urlsplit(proxy)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, "", "", ""))

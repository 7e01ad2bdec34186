"""Turn failed signalling handshakes into lkdesk errors a person can act on.

The server answers a refused join with a plain HTTP status and a short text body
before any WebSocket exists (PROTOCOL_NOTES §1.1). Some bodies echo the token, so the
body is scrubbed before it may appear in a message. TLS and proxy failures happen before
that and are named here too: which certificate fault, which proxy refused.
"""

from __future__ import annotations

import re
import socket
import ssl

from websockets.exceptions import InvalidProxy, InvalidProxyStatus

from lkdesk.core.errors import (
    AuthenticationError,
    CertificateError,
    ConnectError,
    NotLiveKitServerError,
    PermissionDeniedError,
    ProxyError,
    RoomNotFoundError,
    ServerLimitError,
    ServerUnreachableError,
)
from lkdesk.core.tls import certificate_problem

_JWT_RE = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def scrub_secrets(text: str, token: str = "") -> str:
    """Remove the token (and anything shaped like a JWT) from a server message."""
    if token:
        text = text.replace(token, "<token>")
    return _JWT_RE.sub("<token>", text)


def error_for_http_status(status: int, body: str, token: str) -> ConnectError:
    """Classify a refused upgrade by status code and the server's reason text."""
    reason = scrub_secrets(body.strip(), token)[:300]
    lowered = reason.lower()
    if status == 401:
        if "expired" in lowered:
            return AuthenticationError(
                "The access token has expired. Get a new token (or mint one from the "
                "profile's API key) and join again."
            )
        if "invalid api key" in lowered:
            return AuthenticationError(
                "The server does not know the token's API key. Check that the token was "
                "made for this server."
            )
        if "signature" in lowered:
            return AuthenticationError(
                "The token's signature does not match the server's API secret. Check the "
                "API key and secret the token was made with."
            )
        if "permission" in lowered:
            return PermissionDeniedError(
                "The token does not allow joining a room (it needs the roomJoin grant and a "
                "room name). Ask for a token with join permission."
            )
        if "malformed" in lowered or "invalid" in lowered or "authorization" in lowered:
            return AuthenticationError(
                f"The server rejected the token as invalid ({reason}). Paste the whole token again."
            )
        return AuthenticationError(f"The server rejected the token: {reason}")
    if status == 403:
        return PermissionDeniedError(f"The server refused the join: {reason}")
    if status == 404:
        if "room" in lowered:
            return RoomNotFoundError(
                "The room does not exist and this server does not create rooms on join. "
                "Create it first or pick another room."
            )
        return NotLiveKitServerError(
            "The server answered 'not found' for LiveKit's signalling path. Is this the "
            "address of a LiveKit server?"
        )
    if status == 400:
        return PermissionDeniedError(
            f"The server refused the join request ({reason}). The token may lack an "
            "identity or a room name."
        )
    if status in (429, 503):
        return ServerLimitError(f"The server is at a limit and refused the join: {reason}")
    return NotLiveKitServerError(
        f"The server answered HTTP {status} instead of starting a LiveKit session: {reason}"
    )


def error_for_certificate(exc: ssl.SSLCertVerificationError, host: str) -> CertificateError:
    """A rejected server certificate, worded by its fault (core.tls)."""
    problem = certificate_problem(exc, host)
    return CertificateError(problem.message, problem.fault.value)


def error_for_tls(exc: ssl.SSLError, host: str) -> ConnectError:
    """A TLS handshake that failed for a reason other than the certificate."""
    if "wrong version number" in str(exc).lower() or "record layer" in str(exc).lower():
        return NotLiveKitServerError(
            f"{host} did not answer in TLS (is it a plain ws:// server on that port?). "
            "Use ws:// for a server without TLS, or the port where TLS is served."
        )
    return ServerUnreachableError(
        f"The secure connection to {host} failed ({exc.reason or exc}). Check the address; "
        "the server's TLS setup may be broken."
    )


def error_for_proxy(exc: Exception, proxy: str, host: str) -> ProxyError:
    """The proxy (from HTTPS_PROXY or the system) refused or broke the tunnel to ``host``."""
    if isinstance(exc, InvalidProxyStatus):
        status = exc.response.status_code
        return ProxyError(
            f"The proxy {proxy} refused to open a connection to {host} (HTTP {status}). "
            "Ask your network administrator to allow WebSocket (CONNECT) connections to this "
            "server, or add the server to NO_PROXY if it is reachable directly."
        )
    if isinstance(exc, InvalidProxy):
        return ProxyError(
            f"The proxy setting ({proxy}) is not a usable proxy URL; fix HTTPS_PROXY."
        )
    return ProxyError(
        f"The proxy {proxy} could not be used to reach {host} ({exc}). Check the proxy "
        "setting (HTTPS_PROXY) or that the proxy is running."
    )


def error_for_network(exc: OSError, proxy: str | None, host: str) -> ConnectError:
    """A TCP-level failure; through a proxy, every such failure is the proxy's."""
    if proxy is not None:
        return error_for_proxy(exc, proxy, host)
    if isinstance(exc, socket.gaierror):
        return ServerUnreachableError(
            "The server's host name could not be resolved. Check the address."
        )
    if isinstance(exc, ConnectionRefusedError):
        return ServerUnreachableError(
            "Nothing is listening at the server address (connection refused). Is the "
            "server running, and is the port right?"
        )
    return ServerUnreachableError(
        f"The server could not be reached: {exc.strerror or exc}. Check the address "
        "and your network."
    )

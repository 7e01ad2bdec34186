"""Sans-I/O LiveKit signalling: URLs, join parameters, message encode/decode.

Nothing here touches the network or an event loop, so it is tested with plain bytes.
Protocol facts: ``../shared/PROTOCOL_NOTES.md`` §1.
"""

from __future__ import annotations

import platform
import re
import urllib.parse
from dataclasses import dataclass

from google.protobuf.message import DecodeError
from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk import __version__
from lkdesk.core.errors import InvalidUrlError, SignalProtocolError

#: Signalling protocol version we announce: 16, as RoomMoved (gated at > 15) is followed.
#: Not 17: that announces packet-trailer support lkdesk lacks (PROTOCOL_NOTES §1.2).
PROTOCOL_VERSION = 16
#: Client-to-client feature level we announce: 2 = RPC over data streams (1) and data streams
#: v2 (inline one-packet streams, raw-deflate), both received and sent (PROTOCOL_NOTES §9.1).
CLIENT_PROTOCOL = 2
#: Announced with client protocol 2: we inflate raw-deflate streams (``capabilities`` query).
CAP_DEFLATE = "CAP_COMPRESSION_DEFLATE_RAW"

_SCHEMES = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}
_HOST_RE = re.compile(r"^[A-Za-z0-9._\-\[\]:]+$")


@dataclass(frozen=True, slots=True)
class JoinParams:
    """What a join asks for: v0 ``/rtc`` query parameters, or a v1 ``JoinRequest``."""

    auto_subscribe: bool = False
    adaptive_stream: bool = False
    #: Resume this participant's session instead of joining anew (PROTOCOL_NOTES §6.1).
    resume_sid: str = ""
    reconnect_reason: int = 0
    client_protocol: int = CLIENT_PROTOCOL
    #: Join at ``/rtc/v1``: one peer connection for both directions (signal_v1.py).
    single_peer_connection: bool = False

    @property
    def capabilities(self) -> tuple[str, ...]:
        """What peers may send us beyond the client protocol: deflate goes with v2 streams."""
        return (CAP_DEFLATE,) if self.client_protocol >= 2 else ()


def normalize_server_url(url: str) -> str:
    """Return the base ``ws(s)://host[:port][/path]`` for a user-typed server URL.

    Accepts ws, wss, http and https; a bare host becomes ``wss://host``.
    Raises :class:`InvalidUrlError` with a message that says what is wrong.
    """
    text = url.strip()
    if not text:
        raise InvalidUrlError(
            "The server URL is empty. Enter something like wss://example.livekit.cloud."
        )
    if "://" not in text:
        text = "wss://" + text
    parts = urllib.parse.urlsplit(text)
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise InvalidUrlError(
            f"'{parts.scheme}' is not a LiveKit URL scheme. Use wss://, ws://, https:// or http://."
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidUrlError(f"The server URL has an invalid port: {exc}.") from exc
    host = parts.hostname
    if not host or not _HOST_RE.match(host):
        raise InvalidUrlError(
            "The server URL has no valid host name. Example: wss://example.livekit.cloud."
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    # People paste the full signalling URL sometimes; keep the base only.
    for suffix in ("/rtc/v1", "/rtc"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return urllib.parse.urlunsplit((scheme, netloc, path, "", ""))


def build_join_url(server_url: str, options: JoinParams) -> str:
    """Return the v0 signalling URL (token travels in the Authorization header, not here)."""
    base = normalize_server_url(server_url)
    params = {
        "protocol": str(PROTOCOL_VERSION),
        "client_protocol": str(options.client_protocol),
        "sdk": "python",
        "version": __version__,
        "os": platform.system().lower(),
        "os_version": platform.release(),
        "auto_subscribe": "1" if options.auto_subscribe else "0",
        "adaptive_stream": "1" if options.adaptive_stream else "0",
    }
    if options.capabilities:
        params["capabilities"] = ",".join(options.capabilities)
    if options.resume_sid:
        params["reconnect"] = "1"
        params["sid"] = options.resume_sid
        params["reconnect_reason"] = str(options.reconnect_reason)
    return f"{base}/rtc?{urllib.parse.urlencode(params)}"


def encode_request(request: proto_rtc.SignalRequest) -> bytes:
    """Serialize one request for a binary WebSocket frame."""
    return request.SerializeToString()


def decode_response(data: bytes | str) -> proto_rtc.SignalResponse:
    """Parse one server frame; anything but a well-formed known message is a protocol error."""
    if isinstance(data, str):
        raise SignalProtocolError(
            "the server sent a text frame; LiveKit signalling is binary protobuf"
        )
    response = proto_rtc.SignalResponse()
    try:
        response.ParseFromString(data)
    except (DecodeError, RecursionError, ValueError) as exc:
        raise SignalProtocolError(f"undecodable signalling message ({len(data)} bytes)") from exc
    if response.WhichOneof("message") is None:
        raise SignalProtocolError(f"signalling message of unknown type ({len(data)} bytes)")
    return response


def ping_request(timestamp_ms: int, rtt_ms: int) -> proto_rtc.SignalRequest:
    """A keepalive ping (``ping_req``) carrying our last measured round-trip time."""
    return proto_rtc.SignalRequest(ping_req=proto_rtc.Ping(timestamp=timestamp_ms, rtt=rtt_ms))


def leave_request() -> proto_rtc.SignalRequest:
    """The request a client sends when it leaves on purpose."""
    return proto_rtc.SignalRequest(
        leave=proto_rtc.LeaveRequest(
            reason=proto_models.DisconnectReason.CLIENT_INITIATED,
            action=proto_rtc.LeaveRequest.DISCONNECT,
        )
    )

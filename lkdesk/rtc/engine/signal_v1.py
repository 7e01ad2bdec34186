"""Sans-I/O ``/rtc/v1`` signalling: the join request of single-peer-connection mode.

A v1 join carries everything a v0 join puts in query parameters inside one protobuf,
``JoinRequest``, wrapped in a ``WrappedJoinRequest`` (optionally gzipped) and sent base64url
encoded as the only query parameter, ``join_request`` (PROTOCOL_NOTES §1.1, §2.6). Its
presence is what turns single-PC mode on in the server. A resume is the same request with
``reconnect`` and the participant's sid.

Nothing here touches the network: tests feed it plain values, and a scripted server can
decode what a client sent with :func:`decode_join_request`.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import platform
import urllib.parse
import zlib

from google.protobuf.message import DecodeError
from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk import __version__
from lkdesk.core.errors import SignalProtocolError
from lkdesk.rtc.engine import signal_protocol as sp

#: Path of the single-peer-connection signalling endpoint (after the server's base path).
V1_PATH = "/rtc/v1"
#: Requests above this many bytes are gzipped (a publisher offer is several kilobytes).
GZIP_ABOVE = 512
#: The server refuses a join request above this size after decompression (1 MiB).
MAX_JOIN_REQUEST = 1 << 20

_CAPABILITIES = {sp.CAP_DEFLATE: proto_models.ClientInfo.CAP_COMPRESSION_DEFLATE_RAW}


def client_info(params: sp.JoinParams) -> proto_models.ClientInfo:
    """What a v0 join says in its ``sdk``/``version``/``protocol``/… query parameters."""
    info = proto_models.ClientInfo(
        sdk=proto_models.ClientInfo.PYTHON,
        version=__version__,
        protocol=sp.PROTOCOL_VERSION,
        os=platform.system().lower(),
        os_version=platform.release(),
        client_protocol=params.client_protocol,
    )
    info.capabilities.extend(_CAPABILITIES[name] for name in params.capabilities)
    return info


def join_request(
    params: sp.JoinParams, publisher_offer: proto_rtc.SessionDescription | None = None
) -> proto_rtc.JoinRequest:
    """The ``JoinRequest`` for ``params`` (a resume when ``params.resume_sid`` is set)."""
    request = proto_rtc.JoinRequest(
        client_info=client_info(params),
        connection_settings=proto_rtc.ConnectionSettings(
            auto_subscribe=params.auto_subscribe,
            adaptive_stream=params.adaptive_stream,
        ),
    )
    if params.resume_sid:
        request.reconnect = True
        request.participant_sid = params.resume_sid
        request.reconnect_reason = params.reconnect_reason  # type: ignore[assignment]
    if publisher_offer is not None:
        request.publisher_offer.CopyFrom(publisher_offer)
    return request


def encode_join_request(request: proto_rtc.JoinRequest) -> str:
    """The ``join_request`` query value: base64url of the wrapped (maybe gzipped) request."""
    raw = request.SerializeToString()
    wrapped = proto_rtc.WrappedJoinRequest(join_request=raw)
    if len(raw) > GZIP_ABOVE:
        wrapped.compression = proto_rtc.WrappedJoinRequest.GZIP
        wrapped.join_request = gzip.compress(raw, mtime=0)
    return base64.urlsafe_b64encode(wrapped.SerializeToString()).decode("ascii")


def decode_join_request(value: str) -> proto_rtc.JoinRequest:
    """Parse a ``join_request`` query value; anything malformed is a protocol error."""
    try:
        data = base64.b64decode(value.encode("ascii"), altchars=b"-_", validate=True)
        wrapped = proto_rtc.WrappedJoinRequest.FromString(data)
        raw = wrapped.join_request
        if wrapped.compression == proto_rtc.WrappedJoinRequest.GZIP:
            raw = _gunzip(raw)
        elif wrapped.compression != proto_rtc.WrappedJoinRequest.NONE:
            raise SignalProtocolError(f"unknown join request compression {wrapped.compression}")
        if len(raw) > MAX_JOIN_REQUEST:
            raise SignalProtocolError("join request too large")
        return proto_rtc.JoinRequest.FromString(raw)
    except (
        binascii.Error,
        DecodeError,
        RecursionError,
        UnicodeEncodeError,
        ValueError,
        EOFError,
        OSError,
        zlib.error,
    ) as exc:
        raise SignalProtocolError(f"undecodable join request ({len(value)} characters)") from exc


def _gunzip(data: bytes) -> bytes:
    """Decompress at most :data:`MAX_JOIN_REQUEST` + 1 bytes (a zip bomb stays a bomb)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, MAX_JOIN_REQUEST + 1)
    if len(out) > MAX_JOIN_REQUEST:
        raise SignalProtocolError("join request too large")
    return out


def build_v1_join_url(
    server_url: str,
    params: sp.JoinParams,
    publisher_offer: proto_rtc.SessionDescription | None = None,
) -> str:
    """The ``/rtc/v1`` URL of a join or resume (the token travels in a header)."""
    base = sp.normalize_server_url(server_url)
    query = urllib.parse.urlencode(
        {"join_request": encode_join_request(join_request(params, publisher_offer))}
    )
    return f"{base}{V1_PATH}?{query}"


def is_v1_url(url: str) -> bool:
    """True when ``url`` asks for the single-PC endpoint."""
    return urllib.parse.urlsplit(url).path.endswith(V1_PATH)

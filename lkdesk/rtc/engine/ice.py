"""ICE configuration from the JoinResponse, with a bounded reachability probe.

aiortc gathers every candidate before it answers (no trickle) and waits up to 5 s per
unreachable STUN server. The server always hands out STUN servers, some possibly out of
reach (offline LAN, firewalled UDP), so we ask each UDP STUN/TURN endpoint one Binding
request in parallel and keep only those that answer within a short budget.

aiortc uses only the first STUN and the first TURN entry (PROTOCOL_NOTES §8.1), so
:func:`plan` picks the TURN entry deliberately from the probe: UDP TURN when it answered
(cheapest, and it also proves UDP gets out); otherwise TURN over TLS (``turns:``, port
443, what hotel and corporate networks let through), otherwise TURN over TCP. The TLS
connection to a ``turns:`` server is verified like signalling: the system's trust store
plus the server's trusted CA (adapt/ice_gathering.py hands aioice that context).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field

from aioice import stun
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceCandidate, RTCIceServer
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from aiortc.rtcicetransport import parse_stun_turn_uri
from aiortc.sdp import candidate_from_sdp
from livekit.protocol import rtc as proto_rtc

from lkdesk.core.tls import ServerTrust, client_context_async

logger = logging.getLogger(__name__)

STUN_PROBE_BUDGET_S = 1.0


@dataclass(frozen=True, slots=True)
class IceUrl:
    """One ICE server URL with the credentials of its entry."""

    url: str
    username: str
    credential: str

    @property
    def parsed(self) -> dict[str, object]:
        return parse_stun_turn_uri(self.url)

    @property
    def is_udp(self) -> bool:
        parsed = self.parsed
        return parsed["scheme"] == "stun" or (
            parsed["scheme"] == "turn" and parsed.get("transport", "udp") == "udp"
        )

    @property
    def relay(self) -> str:
        """How this entry relays: "udp", "tcp" or "tls" for TURN; "" for STUN."""
        parsed = self.parsed
        if parsed["scheme"] == "turns":
            return "tls"
        if parsed["scheme"] == "turn":
            return str(parsed.get("transport") or "udp")
        return ""

    def __repr__(self) -> str:  # never the TURN credentials
        return f"IceUrl({self.url!r})"


def flatten(servers: Iterable[proto_rtc.ICEServer]) -> list[IceUrl]:
    """One entry per URL, skipping URLs aiortc cannot parse."""
    urls: list[IceUrl] = []
    for server in servers:
        for url in server.urls:
            try:
                parse_stun_turn_uri(url)
            except ValueError:
                logger.info("ignoring unsupported ICE server URL %s", url)
                continue
            urls.append(IceUrl(url, server.username, server.credential))
    return urls


async def _answers_stun(host: str, port: int) -> bool:
    loop = asyncio.get_running_loop()
    received: asyncio.Future[bool] = loop.create_future()

    class _Protocol(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: object) -> None:
            if not received.done():
                received.set_result(True)

        def error_received(self, exc: Exception) -> None:
            if not received.done():
                received.set_result(False)

    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except OSError:
        return False
    address = infos[0][4]
    transport, _ = await loop.create_datagram_endpoint(
        _Protocol, remote_addr=(str(address[0]), int(address[1]))
    )
    try:
        request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
        transport.sendto(bytes(request))
        return await received
    finally:
        transport.close()


async def _probe(url: IceUrl) -> bool:
    parsed = url.parsed
    try:
        return await _answers_stun(str(parsed["host"]), int(str(parsed["port"])))
    except OSError:
        return False


async def reachable(urls: list[IceUrl], budget_s: float = STUN_PROBE_BUDGET_S) -> list[IceUrl]:
    """Keep TCP/TLS TURN entries and every UDP entry that answers within ``budget_s``."""
    udp = [u for u in urls if u.is_udp]
    tasks = {u: asyncio.create_task(_probe(u)) for u in udp}
    if tasks:
        await asyncio.wait(tasks.values(), timeout=budget_s)
    kept = []
    for url in urls:
        task = tasks.get(url)
        if task is None or (task.done() and not task.cancelled() and task.result()):
            kept.append(url)
        else:
            logger.info("ICE server %s did not answer within %.1f s; not used", url.url, budget_s)
    for task in tasks.values():
        task.cancel()
    for task in tasks.values():
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await task
    return kept


@dataclass(frozen=True, slots=True)
class IcePlan:
    """The ICE servers a session's peer connections use, and why.

    ``relay`` is how the TURN entry in use relays ("udp", "tls", "tcp", or "" for none);
    ``udp_open`` whether any UDP STUN/TURN server answered the probe; ``turn_tls`` the
    context for a ``turns:`` server.
    """

    urls: list[IceUrl] = field(default_factory=list)
    relay: str = ""
    udp_open: bool = False
    turn_tls: ssl.SSLContext | None = None


_RELAY_PREFERENCE = ("tls", "tcp")  # when UDP TURN did not answer


async def plan(
    urls: list[IceUrl], budget_s: float = STUN_PROBE_BUDGET_S, trust: ServerTrust | None = None
) -> IcePlan:
    """Probe the UDP entries, then keep one STUN and one TURN entry, chosen on purpose."""
    kept = await reachable(urls, budget_s)
    udp_open = any(u.is_udp for u in kept)
    stun = [u for u in kept if not u.relay]
    turn = [u for u in kept if u.relay == "udp"]
    for relay in _RELAY_PREFERENCE:
        turn += [u for u in kept if u.relay == relay]
    chosen = stun[:1] + turn[:1]
    relay = turn[0].relay if turn else ""
    context = await client_context_async(trust) if relay == "tls" else None
    logger.info(
        "ICE servers: %s (UDP %s, relay %s)",
        [u.url for u in chosen],
        "open" if udp_open else "blocked or unanswered",
        relay or "none",
    )
    return IcePlan(chosen, relay, udp_open, context)


def media_failure_message(used: IcePlan) -> str:
    """Why media did not connect although signalling did, as far as the plan tells."""
    if not used.udp_open:
        tried = {"tls": "TURN over TLS", "tcp": "TURN over TCP"}.get(used.relay)
        return (
            "Your network blocks the media connection (UDP and TURN): signalling works, but "
            + (f"neither UDP nor {tried} got through. " if tried else "UDP does not get "
               "through and the server offers no TURN over TCP or TLS. ")
            + "Try another network, or ask the server's administrator to enable TURN/TLS "
            "on port 443."
        )  # fmt: skip
    return (
        "Signalling worked but the media connection to the server could not be established "
        "(the server's ICE address or port is unreachable from here). Check firewalls and "
        "the server's rtc.node_ip setting."
    )


def rtc_configuration(urls: list[IceUrl], *, force_relay: bool = False) -> RTCConfiguration:
    """An explicit configuration (never aiortc's default Google STUN)."""
    servers = [
        RTCIceServer(urls=u.url, username=u.username or None, credential=u.credential or None)
        for u in urls
    ]
    # MAX_BUNDLE: with aiortc's default BALANCED, a second same-kind track negotiated
    # after a data channel lands on a non-primary transport (PROTOCOL_NOTES §8.1).
    return RTCConfiguration(
        iceServers=servers,
        bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
        iceTransportPolicy=RTCIceTransportPolicy.RELAY
        if force_relay
        else RTCIceTransportPolicy.ALL,
    )


def candidate_init(candidate: str, sdp_mid: str, sdp_mline_index: int) -> str:
    """The ``RTCIceCandidateInit`` JSON the server takes in a TrickleRequest."""
    return json.dumps({"candidate": candidate, "sdpMid": sdp_mid, "sdpMLineIndex": sdp_mline_index})


def candidate_from_init(candidate_init: str) -> RTCIceCandidate | None:
    """Parse a trickled ``RTCIceCandidateInit`` JSON string; None if unusable."""
    try:
        init = json.loads(candidate_init)
        text = str(init.get("candidate", "")).removeprefix("candidate:")
        if not text:
            return None
        candidate = candidate_from_sdp(text)
    except (ValueError, IndexError, AttributeError):
        logger.warning("ignoring a malformed ICE candidate from the server")
        return None
    candidate.sdpMid = init.get("sdpMid") or None
    candidate.sdpMLineIndex = init.get("sdpMLineIndex")
    if candidate.sdpMid is None and candidate.sdpMLineIndex is None:
        candidate.sdpMLineIndex = 0
    return candidate

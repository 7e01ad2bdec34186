"""WebSocket pump for LiveKit signalling: join handshake, reader, writer, keepalive.

Owns three tasks (reader, writer, pinger) in one :class:`TaskSet`, cancelled and awaited in
:meth:`close`. The session's rules (keepalive, RTT, request ids) live in the sans-I/O
:class:`SignalSession`. Server messages other than pongs are queued in arrival order for
one consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from livekit.protocol import rtc as proto_rtc
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidProxy,
    InvalidStatus,
    InvalidURI,
    ProxyError,
)

from lkdesk.core.errors import (
    ConnectError,
    InvalidUrlError,
    NotLiveKitServerError,
    ServerUnreachableError,
    SignalProtocolError,
)
from lkdesk.core.tasks import TaskSet
from lkdesk.core.tls import ServerTrust, client_context_async
from lkdesk.rtc.engine import signal_protocol as sp
from lkdesk.rtc.engine import signal_v1
from lkdesk.rtc.engine.connect_errors import (
    error_for_certificate,
    error_for_http_status,
    error_for_network,
    error_for_proxy,
    error_for_tls,
    scrub_secrets,
)
from lkdesk.rtc.engine.log_redaction import redacting_logger
from lkdesk.rtc.engine.proxies import display_proxy, proxy_for
from lkdesk.rtc.engine.signal_session import SignalSession

logger = logging.getLogger(__name__)

MAX_SIGNAL_MESSAGE = 4 * 1024 * 1024
_WS_LOGGER = redacting_logger(f"{__name__}.websocket")


class ResumeRefused(ConnectError):
    """The server no longer has the session to resume (it answered with a leave)."""

    def __init__(self, reason: int, action: int) -> None:
        super().__init__(f"The server could not resume the session (reason {reason}).")
        self.reason = reason
        self.action = action


class V1Unavailable(NotLiveKitServerError):
    """The server has no ``/rtc/v1`` endpoint (HTTP 404 not about a room): join at ``/rtc``."""


@dataclass(frozen=True, slots=True)
class SignalClosed:
    """Queued after the last message: why signalling ended (``None`` = we closed it)."""

    reason: str | None


SignalEvent = proto_rtc.SignalResponse | SignalClosed


class SignalClient:
    """One signalling session: ``join`` → messages on :attr:`events` → ``close``.

    ``wss://`` is verified against the system's trust store plus ``trust``'s CA; the proxy
    comes from the environment (proxies.py).
    """

    def __init__(self, trust: ServerTrust | None = None) -> None:
        self._trust = trust or ServerTrust()
        self.events: asyncio.Queue[SignalEvent] = asyncio.Queue()
        self.session: SignalSession | None = None
        self._ws: ClientConnection | None = None
        self._tasks = TaskSet("signal")
        self._closing = False
        self._closed_reported = False
        self._outgoing: asyncio.Queue[proto_rtc.SignalRequest] = asyncio.Queue()

    @property
    def rtt_ms(self) -> int:
        """Last signalling round-trip time measured by ping/pong, in milliseconds."""
        return self.session.rtt_ms if self.session is not None else 0

    async def join(
        self, server_url: str, token: str, options: sp.JoinParams, *, join_timeout: float = 10.0
    ) -> proto_rtc.JoinResponse:
        """Open the WebSocket and wait for the JoinResponse.

        Raises a :class:`ConnectError` subclass naming the cause; leaves nothing open.
        """
        first = await self._handshake(server_url, token, options, join_timeout)
        kind = first.WhichOneof("message")
        if kind != "join":
            await self._abort()
            raise NotLiveKitServerError(f"Expected a join response, the server sent '{kind}'.")
        join = first.join
        self._start(SignalSession.from_join(join, time.monotonic()))
        return join

    async def resume(
        self,
        server_url: str,
        token: str,
        options: sp.JoinParams,
        session: SignalSession,
        *,
        limit_s: float = 10.0,
    ) -> proto_rtc.ReconnectResponse:
        """Reconnect signalling to the session ``options.resume_sid`` names.

        The server answers with a ReconnectResponse; like livekit-client, any other message
        but ``leave`` also means the session was found (it is queued for the consumer). A
        ``leave`` raises :class:`ResumeRefused`: only a full rejoin can help.
        """
        first = await self._handshake(server_url, token, options, limit_s)
        session.received(time.monotonic())
        self._start(session)
        if first.WhichOneof("message") == "reconnect":
            return first.reconnect
        self.events.put_nowait(first)
        return proto_rtc.ReconnectResponse()

    def _start(self, session: SignalSession) -> None:
        self.session = session
        self._tasks.spawn(self._read_loop(session), "reader")
        self._tasks.spawn(self._write_loop(), "writer")
        self._tasks.spawn(self._ping_loop(session), "pinger")

    async def _handshake(
        self, server_url: str, token: str, options: sp.JoinParams, join_timeout: float
    ) -> proto_rtc.SignalResponse:
        """Open the socket and read the server's first message (a leave raises)."""
        if options.single_peer_connection:
            url = signal_v1.build_v1_join_url(server_url, options)
        else:
            url = sp.build_join_url(server_url, options)
        try:
            async with asyncio.timeout(join_timeout):
                self._ws = await self._open(url, token)
                first = sp.decode_response(await self._ws.recv())
        except TimeoutError as exc:
            await self._abort()
            raise ServerUnreachableError(
                f"The server did not complete the LiveKit handshake within {join_timeout:.0f} s. "
                "Check the address and your network."
            ) from exc
        except SignalProtocolError as exc:
            await self._abort()
            raise NotLiveKitServerError(
                "The server accepted a WebSocket but did not speak LiveKit's signalling "
                "protocol. Is this the address of a LiveKit server?"
            ) from exc
        except ConnectionClosed as exc:
            await self._abort()
            raise NotLiveKitServerError(
                "The server closed the connection before the join finished. Is this the "
                "address of a LiveKit server?"
            ) from exc
        except BaseException:
            await self._abort()
            raise
        if first.WhichOneof("message") == "leave":
            await self._abort()
            if options.resume_sid:
                raise ResumeRefused(first.leave.reason, first.leave.action)
            raise ConnectError(
                "The server ended the session while joining (reason "
                f"{first.leave.reason}). Try again in a moment."
            )
        return first

    async def _open(self, url: str, token: str) -> ClientConnection:
        host = urlsplit(url).hostname or url
        proxy = proxy_for(url)
        if proxy is not None:
            logger.info("signalling to %s through the proxy %s", host, display_proxy(proxy))
        tls: dict[str, Any] = {}
        if url.startswith("wss:"):
            tls["ssl"] = await client_context_async(self._trust)
        try:
            return await connect(
                url,
                additional_headers={"Authorization": f"Bearer {token}"},
                open_timeout=None,  # the caller's asyncio.timeout bounds the whole join
                ping_interval=None,  # LiveKit has its own keepalive; server WS pings are answered
                max_size=MAX_SIGNAL_MESSAGE,
                compression=None,
                proxy=proxy,
                logger=_WS_LOGGER,  # websockets logs handshake headers at DEBUG
                **tls,
            )
        except ssl.SSLCertVerificationError as exc:
            raise error_for_certificate(exc, host) from None
        except ssl.SSLError as exc:
            raise error_for_tls(exc, host) from None
        except (ProxyError, InvalidProxy) as exc:
            raise error_for_proxy(exc, display_proxy(proxy or ""), host) from None
        except InvalidStatus as exc:
            body = exc.response.body.decode("utf-8", "replace") if exc.response.body else ""
            status = exc.response.status_code
            if status == 404 and signal_v1.is_v1_url(url) and "room" not in body.lower():
                raise V1Unavailable(
                    "The server has no single-peer-connection signalling (/rtc/v1)."
                ) from None
            raise error_for_http_status(exc.response.status_code, body, token) from None
        except InvalidURI as exc:
            raise InvalidUrlError(f"The server URL is not valid: {exc.uri}") from exc
        except InvalidHandshake as exc:
            raise NotLiveKitServerError(
                "The server did not accept a LiveKit WebSocket handshake "
                f"({scrub_secrets(str(exc), token)}). Is this the address of a LiveKit server?"
            ) from exc
        except OSError as exc:
            raise error_for_network(exc, display_proxy(proxy) if proxy else None, host) from exc

    async def send(self, request: proto_rtc.SignalRequest) -> None:
        """Send one request; raises :class:`ConnectionError` if signalling is down."""
        ws = self._ws
        if ws is None or self._closing:
            raise ConnectionError("signalling is not connected")
        try:
            await ws.send(sp.encode_request(request))
        except ConnectionClosed as exc:
            raise ConnectionError("signalling connection closed") from exc

    def send_nowait(self, request: proto_rtc.SignalRequest) -> None:
        """Queue a request; requests go out in call order. Dropped if signalling is down."""
        if self._closing:
            logger.debug("signalling closed; dropping %s", request.WhichOneof("message"))
            return
        self._outgoing.put_nowait(request)

    async def _write_loop(self) -> None:
        while True:
            request = await self._outgoing.get()
            try:
                await self.send(request)
            except ConnectionError:
                logger.debug("signalling closed; dropped %s", request.WhichOneof("message"))

    async def _read_loop(self, session: SignalSession) -> None:
        assert self._ws is not None
        reason: str | None = "signalling connection lost"
        try:
            async for frame in self._ws:
                session.received(time.monotonic())
                try:
                    message = sp.decode_response(frame)
                except SignalProtocolError:
                    logger.warning("ignoring an undecodable signalling message", exc_info=True)
                    continue
                if message.WhichOneof("message") == "pong_resp":
                    session.on_pong(message.pong_resp, int(time.time() * 1000))
                    continue
                self.events.put_nowait(message)
            if self._closing:
                reason = None
        except ConnectionClosed as exc:
            reason = None if self._closing else f"signalling connection closed ({exc.rcvd})"
        finally:
            self._report_closed(reason)

    async def _ping_loop(self, session: SignalSession) -> None:
        while True:
            await asyncio.sleep(session.ping_interval_s)
            if session.is_silent(time.monotonic()):
                logger.warning("no signalling message for %.0f s; closing", session.ping_timeout_s)
                self._report_closed("the server stopped answering (ping timeout)")
                if self._ws is not None:
                    await self._ws.close()
                return
            with contextlib.suppress(ConnectionError):
                await self.send(session.ping(int(time.time() * 1000)))

    def _report_closed(self, reason: str | None) -> None:
        if not self._closed_reported:
            self._closed_reported = True
            self.events.put_nowait(SignalClosed(reason))

    async def close(self, *, send_leave: bool) -> None:
        """Optionally say goodbye, close the socket, cancel and await the tasks."""
        if self._ws is not None and send_leave and not self._closing:
            with contextlib.suppress(ConnectionError, TimeoutError):
                async with asyncio.timeout(2):
                    await self.send(sp.leave_request())
        self._closing = True
        await self._abort()

    async def _abort(self) -> None:
        self._closing = True
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await ws.close()
        await self._tasks.cancel_all()
        self._report_closed(None)

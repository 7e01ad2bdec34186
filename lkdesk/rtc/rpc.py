"""RPC between participants, v1 and v2, compatible with the SDKs (PROTOCOL_NOTES §5.5).

v1 carries request and response in ``RpcRequest``/``RpcResponse`` packets, payloads at most
15 360 bytes. v2 (peers announcing client protocol ≥ 1) carries the request payload as a
text stream on ``lk.rpc_request`` and a successful response as one on ``lk.rpc_response``
(ids, method and timeout in the stream's attributes), so payloads have no size limit and
use data streams v2 (inline, deflate) where the peer can. Acks and errors stay packets in
both. Which version goes to a peer depends only on the client protocol it announced
(capped by ours), as in livekit-client. Ack within 7 s, default response timeout 15 s,
built-in error codes 1400–1505.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar, Protocol

from livekit.protocol import models as proto_models

from lkdesk.core.errors import LkdeskError
from lkdesk.core.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 15_360  # v1 only
REQUEST_TOPIC = "lk.rpc_request"
RESPONSE_TOPIC = "lk.rpc_response"
ATTR_REQUEST_ID = "lk.rpc_request_id"
ATTR_METHOD = "lk.rpc_request_method"
ATTR_TIMEOUT_MS = "lk.rpc_request_response_timeout_ms"
ATTR_VERSION = "lk.rpc_request_version"
#: Client protocol from which a peer takes RPC over data streams (CLIENT_PROTOCOL_DATA_STREAM_RPC).
STREAMS_FROM_CLIENT_PROTOCOL = 1
MAX_MESSAGE_BYTES = 256
ACK_TIMEOUT_S = 7.0
DEFAULT_RESPONSE_TIMEOUT_S = 15.0
MIN_CALLEE_TIMEOUT_S = 8.0


class RpcError(LkdeskError):
    """An RPC failed; ``code`` is one of :class:`RpcError.ErrorCode` or the app's own."""

    class ErrorCode(IntEnum):
        UNSUPPORTED_METHOD = 1400
        RECIPIENT_NOT_FOUND = 1401
        REQUEST_PAYLOAD_TOO_LARGE = 1402
        UNSUPPORTED_SERVER = 1403
        UNSUPPORTED_VERSION = 1404
        APPLICATION_ERROR = 1500
        CONNECTION_TIMEOUT = 1501
        RESPONSE_TIMEOUT = 1502
        RECIPIENT_DISCONNECTED = 1503
        RESPONSE_PAYLOAD_TOO_LARGE = 1504
        SEND_FAILED = 1505

    _MESSAGES: ClassVar[dict[int, str]] = {
        ErrorCode.UNSUPPORTED_METHOD: "Method not supported at destination",
        ErrorCode.RECIPIENT_NOT_FOUND: "Recipient not found",
        ErrorCode.REQUEST_PAYLOAD_TOO_LARGE: "Request payload too large",
        ErrorCode.UNSUPPORTED_VERSION: "Unsupported RPC version",
        ErrorCode.APPLICATION_ERROR: "Application error in method handler",
        ErrorCode.CONNECTION_TIMEOUT: "Connection timeout",
        ErrorCode.RESPONSE_TIMEOUT: "Response timeout",
        ErrorCode.RECIPIENT_DISCONNECTED: "Recipient disconnected",
        ErrorCode.RESPONSE_PAYLOAD_TOO_LARGE: "Response payload too large",
        ErrorCode.SEND_FAILED: "Failed to send",
    }

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(f"{message} (RPC error {code})")
        self.code = code
        self.message = message
        self.data = data

    @classmethod
    def builtin(cls, code: ErrorCode, data: str | None = None) -> RpcError:
        return cls(code, cls._MESSAGES.get(code, code.name), data)

    def to_proto(self) -> proto_models.RpcError:
        return proto_models.RpcError(
            code=self.code,
            message=self.message.encode()[:MAX_MESSAGE_BYTES].decode("utf-8", "ignore"),
            data=(self.data or "").encode()[:MAX_PAYLOAD_BYTES].decode("utf-8", "ignore"),
        )


@dataclass(frozen=True, slots=True)
class RpcInvocationData:
    """What a registered method receives."""

    request_id: str
    caller_identity: str
    payload: str
    response_timeout: float


RpcHandler = Callable[[RpcInvocationData], Awaitable[str] | str]
SendPacket = Callable[[proto_models.DataPacket], Awaitable[None]]


class SendText(Protocol):
    """Sends a whole text stream (RoomData.send_text)."""

    def __call__(
        self,
        text: str,
        *,
        topic: str,
        destination_identities: list[str],
        attributes: dict[str, str],
    ) -> Awaitable[Any]: ...


class TextReader(Protocol):
    info: Any

    async def read_all(self) -> str: ...


@dataclass
class _Pending:
    destination: str
    acked: asyncio.Event
    response: asyncio.Future[str]


class RpcManager:
    """Caller and callee sides of RPC for one room.

    ``protocol_with(identity)`` is the client protocol to speak with a participant: the one
    it announced, capped by ours (0 when unknown, so an unknown peer gets v1).
    """

    def __init__(
        self, send: SendPacket, send_text: SendText, protocol_with: Callable[[str], int]
    ) -> None:
        self._send = send
        self._send_text = send_text
        self._protocol_with = protocol_with
        self._methods: dict[str, RpcHandler] = {}
        self._pending: dict[str, _Pending] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self, method: str, handler: RpcHandler) -> None:
        self._methods[method] = handler

    def unregister(self, method: str) -> None:
        self._methods.pop(method, None)

    def _streams_with(self, identity: str) -> bool:
        return self._protocol_with(identity) >= STREAMS_FROM_CLIENT_PROTOCOL

    # ----- caller ----------------------------------------------------------------------

    async def perform(
        self, destination: str, method: str, payload: str, response_timeout: float
    ) -> str:
        streams = self._streams_with(destination)
        if not streams and len(payload.encode()) > MAX_PAYLOAD_BYTES:
            raise RpcError.builtin(RpcError.ErrorCode.REQUEST_PAYLOAD_TOO_LARGE)
        request_id = str(uuid.uuid4())
        pending = _Pending(destination, asyncio.Event(), asyncio.get_running_loop().create_future())
        self._pending[request_id] = pending
        timeout_ms = int(max(response_timeout, MIN_CALLEE_TIMEOUT_S) * 1000)
        try:
            try:
                if streams:
                    await self._send_text(
                        payload,
                        topic=REQUEST_TOPIC,
                        destination_identities=[destination],
                        attributes={
                            ATTR_REQUEST_ID: request_id,
                            ATTR_METHOD: method,
                            ATTR_TIMEOUT_MS: str(timeout_ms),
                            ATTR_VERSION: "2",
                        },
                    )
                else:
                    request = proto_models.RpcRequest(
                        id=request_id,
                        method=method,
                        payload=payload,
                        response_timeout_ms=timeout_ms,
                        version=1,
                    )
                    await self._send(
                        proto_models.DataPacket(
                            rpc_request=request, destination_identities=[destination]
                        )
                    )
            except (ConnectionError, ValueError) as exc:
                raise RpcError.builtin(RpcError.ErrorCode.SEND_FAILED, str(exc)) from exc
            try:
                async with asyncio.timeout(ACK_TIMEOUT_S):
                    await pending.acked.wait()
            except TimeoutError as exc:
                raise RpcError.builtin(RpcError.ErrorCode.CONNECTION_TIMEOUT) from exc
            try:
                async with asyncio.timeout(response_timeout):
                    return await pending.response
            except TimeoutError as exc:
                raise RpcError.builtin(RpcError.ErrorCode.RESPONSE_TIMEOUT) from exc
        finally:
            self._pending.pop(request_id, None)

    def on_packet(self, packet: proto_models.DataPacket) -> bool:
        """Handle an RPC packet; False when the packet is something else."""
        kind = packet.WhichOneof("value")
        if kind == "rpc_ack":
            pending = self._pending.get(packet.rpc_ack.request_id)
            if pending is not None:
                pending.acked.set()
        elif kind == "rpc_response":
            self._on_response(packet.rpc_response)
        elif kind == "rpc_request":
            self._spawn(self._serve_packet(packet.rpc_request, packet.participant_identity))
        else:
            return False
        return True

    def _on_response(self, response: proto_models.RpcResponse) -> None:
        pending = self._pending.get(response.request_id)
        if pending is None or pending.response.done():
            return
        pending.acked.set()
        if response.WhichOneof("value") == "error":
            err = response.error
            pending.response.set_exception(RpcError(err.code, err.message, err.data or None))
        else:
            pending.response.set_result(response.payload)

    async def on_response_stream(self, reader: TextReader, sender: str) -> None:
        """A v2 response: the payload of a successful call as a text stream."""
        request_id = reader.info.attributes.get(ATTR_REQUEST_ID, "")
        pending = self._pending.get(request_id)
        if pending is None or pending.destination != sender:
            logger.warning("RPC response stream for an unknown call from %s; ignored", sender)
            return
        pending.acked.set()
        try:
            payload = await reader.read_all()
        except ConnectionError as exc:
            error: BaseException = RpcError.builtin(RpcError.ErrorCode.APPLICATION_ERROR, str(exc))
            if not pending.response.done():
                pending.response.set_exception(error)
            return
        if not pending.response.done():
            pending.response.set_result(payload)

    def participant_left(self, identity: str) -> None:
        for pending in self._pending.values():
            if pending.destination == identity and not pending.response.done():
                pending.acked.set()
                pending.response.set_exception(
                    RpcError.builtin(RpcError.ErrorCode.RECIPIENT_DISCONNECTED)
                )

    # ----- callee ----------------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro, name="lkdesk-rpc")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ack(self, caller: str, request_id: str) -> None:
        ack = proto_models.RpcAck(request_id=request_id)
        await self._send(proto_models.DataPacket(rpc_ack=ack, destination_identities=[caller]))

    async def _reply_error(self, caller: str, request_id: str, error: RpcError) -> None:
        response = proto_models.RpcResponse(request_id=request_id, error=error.to_proto())
        await self._send(
            proto_models.DataPacket(rpc_response=response, destination_identities=[caller])
        )

    async def _serve_packet(self, request: proto_models.RpcRequest, caller: str) -> None:
        await self._ack(caller, request.id)
        if request.version != 1:
            await self._reply_error(
                caller, request.id, RpcError.builtin(RpcError.ErrorCode.UNSUPPORTED_VERSION)
            )
            return
        timeout_s = request.response_timeout_ms / 1000 or DEFAULT_RESPONSE_TIMEOUT_S
        data = RpcInvocationData(request.id, caller, request.payload, timeout_s)
        await self._answer(caller, request.method, data)

    async def on_request_stream(self, reader: TextReader, caller: str) -> None:
        """A v2 request: the payload as a text stream, the call in its attributes."""
        attributes: dict[str, str] = reader.info.attributes
        request_id = attributes.get(ATTR_REQUEST_ID, "")
        method = attributes.get(ATTR_METHOD, "")
        try:
            timeout_ms = int(attributes.get(ATTR_TIMEOUT_MS, ""))
            version = int(attributes.get(ATTR_VERSION, ""))
        except ValueError:
            timeout_ms = version = -1
        if not request_id or not method or timeout_ms < 0 or version < 0:
            logger.warning("malformed RPC request stream from %s; refused", caller)
            malformed = RpcError.builtin(
                RpcError.ErrorCode.APPLICATION_ERROR, "RPC data stream malformed"
            )
            await self._reply_error(caller, request_id, malformed)
            return
        await self._ack(caller, request_id)
        if version != 2:
            await self._reply_error(
                caller, request_id, RpcError.builtin(RpcError.ErrorCode.UNSUPPORTED_VERSION)
            )
            return
        try:
            payload = await reader.read_all()
        except ConnectionError as exc:
            await self._reply_error(
                caller,
                request_id,
                RpcError.builtin(RpcError.ErrorCode.APPLICATION_ERROR, f"request lost: {exc}"),
            )
            return
        timeout_s = timeout_ms / 1000 or DEFAULT_RESPONSE_TIMEOUT_S
        await self._answer(
            caller, method, RpcInvocationData(request_id, caller, payload, timeout_s)
        )

    async def _answer(self, caller: str, method: str, data: RpcInvocationData) -> None:
        handler = self._methods.get(method)
        if handler is None:
            error = RpcError.builtin(RpcError.ErrorCode.UNSUPPORTED_METHOD)
            await self._reply_error(caller, data.request_id, error)
            return
        try:
            async with asyncio.timeout(max(data.response_timeout - 0.5, 0.5)):
                result = handler(data)
                payload = await result if not isinstance(result, str) else result
        except RpcError as raised:
            await self._reply_error(caller, data.request_id, raised)
            return
        except TimeoutError:
            late = RpcError.builtin(RpcError.ErrorCode.RESPONSE_TIMEOUT)
            await self._reply_error(caller, data.request_id, late)
            return
        except Exception:  # the app's handler failed: tell the caller, keep the session
            logger.exception("RPC handler for %r failed", method)
            failed = RpcError.builtin(RpcError.ErrorCode.APPLICATION_ERROR)
            await self._reply_error(caller, data.request_id, failed)
            return
        await self._respond(caller, data.request_id, payload or "")

    async def _respond(self, caller: str, request_id: str, payload: str) -> None:
        """A successful result: a stream for a caller that takes them, else a v1 packet."""
        if self._streams_with(caller):
            await self._send_text(
                payload,
                topic=RESPONSE_TOPIC,
                destination_identities=[caller],
                attributes={ATTR_REQUEST_ID: request_id},
            )
            return
        if len(payload.encode()) > MAX_PAYLOAD_BYTES:
            error = RpcError.builtin(RpcError.ErrorCode.RESPONSE_PAYLOAD_TOO_LARGE)
            await self._reply_error(caller, request_id, error)
            return
        response = proto_models.RpcResponse(request_id=request_id, payload=payload)
        await self._send(
            proto_models.DataPacket(rpc_response=response, destination_identities=[caller])
        )

    async def close(self) -> None:
        for pending in self._pending.values():
            if not pending.response.done():
                pending.response.set_exception(RpcError.builtin(RpcError.ErrorCode.SEND_FAILED))
        tasks, self._tasks = set(self._tasks), set()
        await cancel_and_wait(tasks)

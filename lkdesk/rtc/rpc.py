"""RPC between participants over reliable data packets (v1, compatible with the SDKs).

Limits and codes follow the official SDKs (PROTOCOL_NOTES §5.5): payloads ≤ 15 360 bytes,
ack within 7 s, default response timeout 15 s, built-in error codes 1400–1505.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from livekit.protocol import models as proto_models

from lkdesk.core.errors import LkdeskError
from lkdesk.core.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 15_360
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


@dataclass
class _Pending:
    destination: str
    acked: asyncio.Event
    response: asyncio.Future[str]


class RpcManager:
    """Caller and callee sides of RPC for one session."""

    def __init__(self, send: SendPacket) -> None:
        self._send = send
        self._methods: dict[str, RpcHandler] = {}
        self._pending: dict[str, _Pending] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self, method: str, handler: RpcHandler) -> None:
        self._methods[method] = handler

    def unregister(self, method: str) -> None:
        self._methods.pop(method, None)

    async def perform(
        self, destination: str, method: str, payload: str, response_timeout: float
    ) -> str:
        if len(payload.encode()) > MAX_PAYLOAD_BYTES:
            raise RpcError.builtin(RpcError.ErrorCode.REQUEST_PAYLOAD_TOO_LARGE)
        request_id = str(uuid.uuid4())
        pending = _Pending(destination, asyncio.Event(), asyncio.get_running_loop().create_future())
        self._pending[request_id] = pending
        request = proto_models.RpcRequest(
            id=request_id,
            method=method,
            payload=payload,
            response_timeout_ms=int(max(response_timeout, MIN_CALLEE_TIMEOUT_S) * 1000),
            version=1,
        )
        try:
            try:
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
            task = asyncio.get_running_loop().create_task(
                self._serve(packet.rpc_request, packet.participant_identity), name="lkdesk-rpc"
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
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

    def participant_left(self, identity: str) -> None:
        for pending in self._pending.values():
            if pending.destination == identity and not pending.response.done():
                pending.acked.set()
                pending.response.set_exception(
                    RpcError.builtin(RpcError.ErrorCode.RECIPIENT_DISCONNECTED)
                )

    async def _serve(self, request: proto_models.RpcRequest, caller: str) -> None:
        async def reply(**value: object) -> None:
            response = proto_models.RpcResponse(request_id=request.id, **value)  # type: ignore[arg-type]
            await self._send(
                proto_models.DataPacket(rpc_response=response, destination_identities=[caller])
            )

        await self._send(
            proto_models.DataPacket(
                rpc_ack=proto_models.RpcAck(request_id=request.id), destination_identities=[caller]
            )
        )
        if request.version != 1:
            await reply(error=RpcError.builtin(RpcError.ErrorCode.UNSUPPORTED_VERSION).to_proto())
            return
        handler = self._methods.get(request.method)
        if handler is None:
            await reply(error=RpcError.builtin(RpcError.ErrorCode.UNSUPPORTED_METHOD).to_proto())
            return
        timeout_s = request.response_timeout_ms / 1000 or DEFAULT_RESPONSE_TIMEOUT_S
        data = RpcInvocationData(request.id, caller, request.payload, timeout_s)
        try:
            async with asyncio.timeout(max(timeout_s - 0.5, 0.5)):
                result = handler(data)
                payload = await result if not isinstance(result, str) else result
        except RpcError as error:
            await reply(error=error.to_proto())
            return
        except TimeoutError:
            await reply(error=RpcError.builtin(RpcError.ErrorCode.RESPONSE_TIMEOUT).to_proto())
            return
        except Exception:  # the app's handler failed: tell the caller, keep the session
            logger.exception("RPC handler for %r failed", request.method)
            await reply(error=RpcError.builtin(RpcError.ErrorCode.APPLICATION_ERROR).to_proto())
            return
        if len(payload.encode()) > MAX_PAYLOAD_BYTES:
            await reply(
                error=RpcError.builtin(RpcError.ErrorCode.RESPONSE_PAYLOAD_TOO_LARGE).to_proto()
            )
            return
        await reply(payload=payload)

    async def close(self) -> None:
        for pending in self._pending.values():
            if not pending.response.done():
                pending.response.set_exception(RpcError.builtin(RpcError.ErrorCode.SEND_FAILED))
        tasks, self._tasks = set(self._tasks), set()
        await cancel_and_wait(tasks)

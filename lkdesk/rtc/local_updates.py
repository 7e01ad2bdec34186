"""What the local participant asks of the server outside media: a change of its name,
metadata or attributes, and lkdesk's own uplink measurement."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from lkdesk.core.errors import RoomError

if TYPE_CHECKING:
    from lkdesk.rtc.engine.data_transport import DataTransport
    from lkdesk.rtc.engine.engine import RtcEngine
    from lkdesk.rtc.participant import LocalParticipant

_NOBODY = "lkdesk-network-check-nobody"  # an identity that is never in a room


async def update_local(
    engine: RtcEngine,
    current: LocalParticipant,
    name: str | None,
    metadata: str | None,
    attributes: dict[str, str] | None,
) -> None:
    """Ask the server to change our name, metadata or attributes; explain a refusal."""
    response = await engine.update_metadata(
        name=current.name if name is None else name,
        metadata=current.metadata if metadata is None else metadata,
        attributes=attributes or {},
    )
    if response.reason == response.NOT_ALLOWED:
        raise RoomError(
            "The server did not allow this change: the token lacks the canUpdateOwnMetadata grant."
        )
    if response.reason != response.OK:
        reason = type(response).Reason.Name(response.reason)
        raise RoomError(f"The server refused the change ({reason}: {response.message}).")


async def measure_uplink(
    local: LocalParticipant, data: DataTransport, total_bytes: int, timeout_s: float
) -> float:
    """Bits per second the server acknowledged of reliable data we sent.

    The data goes to no one; SCTP's acknowledgements say when the server has it. Stopped
    after ``timeout_s``: then the rate counts what was sent in that time, an overestimate by
    at most one buffer.
    """
    chunk = b"\0" * 14_000
    started = time.monotonic()
    sent = 0
    try:
        async with asyncio.timeout(timeout_s):
            while sent < total_bytes:
                await local.publish_data(
                    chunk, destination_identities=[_NOBODY], topic="lk.uplink-check"
                )
                sent += len(chunk)
            while data.unacknowledged():  # noqa: ASYNC110 (polled)
                await asyncio.sleep(0.005)
    except TimeoutError:
        pass
    return sent * 8 / max(time.monotonic() - started, 1e-3)

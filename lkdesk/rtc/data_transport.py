"""DataPacket transport over the LiveKit data channels.

Sending goes over the publisher PC's ``_reliable``/``_lossy`` channels; reliable packets are
stamped with a per-session sequence (the server drops non-increasing ones, PROTOCOL_NOTES
§5.2) and the sender waits while too much is buffered. Receiving listens on every channel
(the server's subscriber-side ones and, for old servers, the publisher's) and drops
reliable duplicates per sender.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable

from aiortc.rtcdatachannel import RTCDataChannel
from google.protobuf.message import DecodeError
from livekit.protocol import models as proto_models

logger = logging.getLogger(__name__)

#: Largest DataPacket we send (the JS SDK's limit; aiortc refuses above the remote maximum).
MAX_PACKET_BYTES = 64_000
_HIGH_WATER = 1 << 20
_LOW_WATER = 256 << 10

PacketHandler = Callable[[proto_models.DataPacket], None]


class DataTransport:
    """Sends and receives :class:`DataPacket` messages for one session."""

    def __init__(
        self,
        channels: Callable[[], Awaitable[tuple[RTCDataChannel, RTCDataChannel]]],
        on_packet: PacketHandler,
    ) -> None:
        self._channels = channels
        self._on_packet = on_packet
        self._sequence = itertools.count(1)
        self._last_seen: dict[str, int] = {}
        self._send_lock = asyncio.Lock()

    async def send(self, packet: proto_models.DataPacket, *, reliable: bool) -> None:
        """Send one packet; reliable packets keep their order across concurrent senders."""
        reliable_channel, lossy_channel = await self._channels()
        channel = reliable_channel if reliable else lossy_channel
        packet.kind = (
            proto_models.DataPacket.RELIABLE if reliable else proto_models.DataPacket.LOSSY
        )
        async with self._send_lock:
            if reliable:
                packet.sequence = next(self._sequence)
            data = packet.SerializeToString()
            if len(data) > MAX_PACKET_BYTES:
                raise ValueError(f"data packet of {len(data)} bytes exceeds {MAX_PACKET_BYTES}")
            await _wait_for_room(channel)
            channel.send(data)

    def attach(self, channel: RTCDataChannel) -> None:
        """Receive packets arriving on ``channel``."""
        channel.on("message", self._on_message)

    def _on_message(self, message: bytes | str) -> None:
        if isinstance(message, str):
            return
        packet = proto_models.DataPacket()
        try:
            packet.ParseFromString(message)
        except DecodeError:
            logger.warning("ignoring an undecodable data packet (%d bytes)", len(message))
            return
        if packet.sequence and packet.participant_sid:
            last = self._last_seen.get(packet.participant_sid, 0)
            if packet.sequence <= last:
                return
            self._last_seen[packet.participant_sid] = packet.sequence
        self._on_packet(packet)


async def _wait_for_room(channel: RTCDataChannel) -> None:
    """Back-pressure: wait while more than 1 MiB is queued in SCTP."""
    if channel.bufferedAmount <= _HIGH_WATER:
        return
    channel.bufferedAmountLowThreshold = _LOW_WATER
    drained = asyncio.Event()
    channel.once("bufferedamountlow", drained.set)
    while channel.bufferedAmount > _LOW_WATER and channel.readyState == "open":
        try:
            async with asyncio.timeout(1.0):
                await drained.wait()
        except TimeoutError:
            continue

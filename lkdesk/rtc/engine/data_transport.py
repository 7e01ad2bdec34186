"""DataPacket transport over the LiveKit data channels; no reliable packet is lost to a reconnect.

Sending goes over the publisher PC's ``_reliable``/``_lossy`` channels. Reliable packets are
stamped with a per-session sequence (the server drops non-increasing ones, PROTOCOL_NOTES
§5.2), and a send returns only once its packet was handed to an open channel of the current
connection. While the room reconnects, reliable sends wait in call order (a bounded number of
them) and go out once the connection is back; lossy ones are dropped, as lossy data may be.

Packets handed to a channel that died before the server acknowledged them are not lost: the
transport keeps the newest reliable packets. After a resume it sends again, with their own
sequence numbers, those after the last one the server says it received. Before a full rejoin
it asks SCTP (through the aiortc adaptation) how many of them the server never acknowledged
and sends exactly those again, re-stamped for the new session. Either way they go out in
order, before anything new.

Receiving listens on every channel (the server's subscriber-side ones and, for old servers,
the publisher's) and drops reliable duplicates per sender and session.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiortc.rtcdatachannel import RTCDataChannel
from google.protobuf.message import DecodeError
from livekit.protocol import models as proto_models

from lkdesk.core.errors import LkdeskError, RoomError
from lkdesk.rtc.engine import adapt

logger = logging.getLogger(__name__)

#: Largest DataPacket we send (the JS SDK's limit; aiortc refuses above the remote maximum).
MAX_PACKET_BYTES = 64_000
#: How many sends may wait for a connection at once before new ones are refused.
MAX_WAITING_SENDS = 2_000
_HIGH_WATER = 1 << 20
_LOW_WATER = 256 << 10
#: Reliable bytes kept for a possible resend. Sending waits above _HIGH_WATER buffered, so
#: what SCTP may still not have acknowledged is far below this.
_REPLAY_BYTES = 8 << 20

PacketHandler = Callable[[proto_models.DataPacket], None]


class PacketCrypto(Protocol):
    """Encrypted data packets (lkdesk.rtc.e2ee.data_crypto): seal before sending, open after
    receiving (False: drop it)."""

    def seal(self, packet: proto_models.DataPacket) -> None: ...

    def open(self, packet: proto_models.DataPacket) -> bool: ...
ChannelOpener = Callable[[], Awaitable[tuple[RTCDataChannel, RTCDataChannel]]]


class DataTransport:
    """Sends and receives :class:`DataPacket` messages for one room, across its sessions."""

    def __init__(
        self,
        channels: ChannelOpener,
        on_packet: PacketHandler,
        *,
        undelivered: Callable[[RTCDataChannel], int] = adapt.undelivered_messages,
    ) -> None:
        self._channels = channels
        self._on_packet = on_packet
        self._undelivered = undelivered
        self._sequence = 0
        self._last_seen: dict[str, int] = {}
        self._send_lock = asyncio.Lock()
        self._online = asyncio.Event()
        self._closed_reason: str | None = "Not connected to a room."
        self._waiting = 0
        self._channel: RTCDataChannel | None = None  # the reliable channel sent on last
        self._replay: collections.deque[proto_models.DataPacket] = collections.deque()
        self._replay_bytes = 0
        self._resend: list[proto_models.DataPacket] = []
        self.crypto: PacketCrypto | None = None

    # ----- the room's connection state ---------------------------------------------------

    def go_online(self) -> None:
        """The room is connected (first join): sends go straight out."""
        self._closed_reason = None
        self._online.set()

    def go_offline(self) -> None:
        """The connection was lost: new sends wait until it is back."""
        self._online.clear()

    def prepare_rejoin(self) -> None:
        """A full rejoin follows: keep what the old session's SCTP never got acknowledged.

        Called while the old connection still exists, after any resume attempt (whose ICE
        restart may have let SCTP deliver more in the meantime).
        """
        missing = self._count_undelivered()
        kept = list(self._replay)[len(self._replay) - missing :] if missing else []
        self._resend.extend(kept)
        self._replay.clear()
        self._replay_bytes = 0
        self._channel = None
        if kept:
            logger.info("%d reliable packets were not acknowledged; they will be resent", missing)

    def _count_undelivered(self) -> int:
        if self._channel is None:
            return 0
        try:
            missing = self._undelivered(self._channel)
        except (AttributeError, TypeError):  # aiortc changed under us: resend everything kept
            logger.warning("cannot tell which data the server received; resending all kept")
            missing = len(self._replay)
        return min(missing, len(self._replay))

    def unacknowledged(self) -> bool:
        """Whether reliable data sent is still buffered or not yet acknowledged by the server."""
        channel = self._channel
        if channel is None:
            return False
        return bool(channel.bufferedAmount) or self._count_undelivered() > 0

    async def come_back(self, *, new_session: bool, server_last_seq: int = 0) -> None:
        """The room is connected again: resend what was lost, then release waiting sends.

        A full rejoin (``new_session``) restarts the sequence and the duplicate filter and
        resends, re-stamped, what SCTP had not delivered. A resume keeps both and resends,
        with their own sequence numbers, the packets after ``server_last_seq`` (the server
        drops any it already has, so SCTP's own retransmissions do no harm).
        """
        if new_session:
            self._sequence = 0
            self._last_seen.clear()
            resend = self._resend
        else:
            resend = [p for p in self._replay if p.sequence > server_last_seq]
        if resend:
            reliable, _lossy = await self._channels()
            for packet in resend:
                if new_session:
                    self._transmit(reliable, packet)
                else:
                    reliable.send(packet.SerializeToString())  # still in the replay buffer
            logger.info("resent %d reliable packets after reconnecting", len(resend))
        self._resend = []
        self.go_online()

    def receive_states(self) -> dict[str, int]:
        """The newest reliable sequence received from each sender (for a resume's SyncState)."""
        return dict(self._last_seen)

    def close(self, reason: str) -> None:
        """The room ended: sends waiting for a connection fail with ``reason``."""
        self._closed_reason = reason
        self._online.set()  # wake the waiters; they see the reason
        self._resend.clear()
        self._replay.clear()
        self._replay_bytes = 0
        self._channel = None

    # ----- sending ---------------------------------------------------------------------

    async def send(self, packet: proto_models.DataPacket, *, reliable: bool) -> None:
        """Send one packet; reliable packets keep their order across concurrent senders."""
        packet.kind = (
            proto_models.DataPacket.RELIABLE if reliable else proto_models.DataPacket.LOSSY
        )
        if self.crypto is not None:
            self.crypto.seal(packet)
        if packet.ByteSize() > MAX_PACKET_BYTES:
            raise ValueError(f"data packet of {packet.ByteSize()} bytes exceeds {MAX_PACKET_BYTES}")
        self._raise_if_closed()
        if not reliable:
            if self._online.is_set():
                _reliable, lossy = await self._channels()
                lossy.send(packet.SerializeToString())
            return  # lossy data is not kept while reconnecting
        if self._waiting >= MAX_WAITING_SENDS:
            raise RoomError("Too much data is waiting for the connection to come back.")
        self._waiting += 1
        try:
            async with self._send_lock:
                channel = await self._open_channel()
                self._transmit(channel, packet)
        finally:
            self._waiting -= 1

    async def _open_channel(self) -> RTCDataChannel:
        """The reliable channel of a live connection, with room in its buffer (waits for both)."""
        while True:
            await self._online.wait()
            self._raise_if_closed()
            try:
                channel, _lossy = await self._channels()
                await _wait_for_room(channel)
            except (LkdeskError, TimeoutError):
                if self._online.is_set():
                    raise  # the connection is up, yet the channel cannot be had
                continue  # the connection dropped meanwhile: wait for it to return
            self._raise_if_closed()
            if self._online.is_set() and channel.readyState == "open":
                return channel

    def _transmit(self, channel: RTCDataChannel, packet: proto_models.DataPacket) -> None:
        self._sequence += 1
        packet.sequence = self._sequence
        data = packet.SerializeToString()
        channel.send(data)
        self._channel = channel
        self._replay.append(packet)
        self._replay_bytes += len(data)
        while self._replay_bytes > _REPLAY_BYTES and len(self._replay) > 1:
            self._replay_bytes -= self._replay.popleft().ByteSize()

    def _raise_if_closed(self) -> None:
        if self._closed_reason is not None:
            raise RoomError(self._closed_reason)

    # ----- receiving -------------------------------------------------------------------

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
        if self.crypto is not None and not self.crypto.open(packet):
            return
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

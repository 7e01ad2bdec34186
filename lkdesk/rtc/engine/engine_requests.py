"""The engine's accessors and its requests to the server: signalling commands, the
publisher PC on first use and its data channels, a signalling ping and the media routes.

A mixin of :class:`lkdesk.rtc.engine.engine.RtcEngine`, kept apart so that engine.py reads
as the lifecycle of a session (join, lose, resume or rejoin, close); the attributes below
are the engine's, set in its ``__init__`` and by its sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from aiortc.rtcdatachannel import RTCDataChannel
from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk.core.errors import RoomError
from lkdesk.rtc.engine import commands, ice
from lkdesk.rtc.engine.events import LinkState
from lkdesk.rtc.engine.publisher import MediaNegotiationAbandoned, PublisherConnection

if TYPE_CHECKING:
    from lkdesk.rtc.engine.messages import MessageRouter
    from lkdesk.rtc.engine.signal_client import SignalClient
    from lkdesk.rtc.engine.single_pc import SinglePeerConnection
    from lkdesk.rtc.engine.subscriber import SubscriberConnection

CHANNEL_OPEN_TIMEOUT_S = 10.0
PUBLISHER_CONNECT_TIMEOUT_S = 15.0


class EngineRequests:
    """What the room asks of its engine besides the session's lifecycle."""

    state: LinkState
    _signal: SignalClient | None
    _subscriber: SubscriberConnection | None
    _publisher: PublisherConnection | None
    _single: SinglePeerConnection | None
    _publisher_lock: asyncio.Lock
    _force_relay: bool
    _ice: ice.IcePlan
    _ice_offered: list[ice.IceUrl]
    _router: MessageRouter

    def send(self, request: proto_rtc.SignalRequest) -> None:
        """Queue a signalling request (dropped, logged, when signalling is down)."""
        if self._signal is not None:
            self._signal.send_nowait(request)

    @property
    def subscriber(self) -> SubscriberConnection | None:
        return self._subscriber

    @property
    def receiving_connection(self) -> SubscriberConnection | SinglePeerConnection | None:
        """The peer connection remote media arrives on: the subscriber, or the single PC."""
        return self._subscriber or self._single

    @property
    def signal(self) -> SignalClient | None:
        return self._signal

    @property
    def publisher_connection(self) -> PublisherConnection | None:
        return self._publisher

    async def ping(self, timeout_s: float) -> float:
        """One signalling ping/pong round trip now, in seconds (the network check's RTT)."""
        signal = self._signal
        session = signal.session if signal is not None else None
        if signal is None or session is None:
            raise RoomError("Not connected.")
        stamp = int(time.time() * 1000)
        started = time.monotonic()
        await signal.send(session.ping(stamp))
        async with asyncio.timeout(timeout_s):
            while session.last_pong_for_ms < stamp:  # noqa: ASYNC110 (no pong event to await)
                await asyncio.sleep(0.002)
        return time.monotonic() - started

    @property
    def single_connection(self) -> SinglePeerConnection | None:
        """The one peer connection of single-PC mode (``/rtc/v1``); None in v0 mode."""
        return self._single

    def media_routes(self) -> dict[str, str]:
        """How each peer connection reaches the server, which TURN entry was chosen, whether
        UDP answered the probe and which relays (TURN transports) the server offered."""
        offered = sorted({u.relay for u in self._ice_offered if u.relay})
        routes = {
            "relay_offered": self._ice.relay,
            "udp": "open" if self._ice.udp_open else "blocked",
            "relays": ",".join(offered),
        }
        for name, pc in (("subscriber", self._subscriber), ("publisher", self._publisher)):
            if pc is not None:
                routes[name] = pc.media_route
        if self._single is not None:  # one connection carries both directions
            routes["subscriber"] = self._single.media_route
        return routes

    # ----- commands --------------------------------------------------------------------------

    def update_subscription(self, track_sid: str, participant_sid: str, subscribe: bool) -> None:
        self.send(commands.subscription(track_sid, participant_sid, subscribe))

    def update_track_settings(
        self, track_sid: str, *, enabled: bool, width: int = 0, height: int = 0
    ) -> None:
        self.send(commands.track_settings(track_sid, enabled, width, height))

    async def update_metadata(
        self, *, name: str, metadata: str, attributes: dict[str, str]
    ) -> proto_rtc.RequestResponse:
        """Send UpdateParticipantMetadata and wait (5 s) for the server's RequestResponse."""
        return await self._router.request(
            lambda request_id: commands.metadata(name, metadata, attributes, request_id)
        )

    async def add_track(self, request: proto_rtc.AddTrackRequest) -> proto_models.TrackInfo:
        """Announce a track; the server's TrackInfo, or a ``PublishError`` saying why not."""
        return await self._router.add_track(request)

    async def publisher(self) -> PublisherConnection:
        """The publisher PC, created, negotiated and connected on first use."""
        async with self._publisher_lock:
            if self._signal is None:
                raise RoomError("Not connected to a room.")
            if self._publisher is None:
                self._publisher = PublisherConnection(
                    self._ice.urls,
                    force_relay=self._force_relay,
                    send_signal=self.send,
                    turn_tls=self._ice.turn_tls,
                )
                with contextlib.suppress(MediaNegotiationAbandoned):  # a resume offers again
                    await self._publisher.negotiate()
            publisher = self._publisher
        await publisher.wait_connected(PUBLISHER_CONNECT_TIMEOUT_S)
        return publisher

    async def open_data_channels(self) -> tuple[RTCDataChannel, RTCDataChannel]:
        """The publisher's reliable and lossy channels, open."""
        if self.state == LinkState.DISCONNECTED:
            raise RoomError("Not connected to a room.")
        publisher = await self.publisher()
        for channel in (publisher.reliable, publisher.lossy):
            if channel.readyState != "open":
                opened = asyncio.Event()
                channel.once("open", opened.set)
                if channel.readyState != "open":
                    async with asyncio.timeout(CHANNEL_OPEN_TIMEOUT_S):
                        await opened.wait()
        return publisher.reliable, publisher.lossy

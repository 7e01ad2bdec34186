"""``RtcEngine``: the connections of one room — signalling, both peer connections, data.

The engine knows sessions, transports and the server's messages; it knows nothing of
participant or publication objects. It tells its owner what happened through typed events
(events.py), hands decoded frames and data packets to two callbacks, and takes a small
command API (subscriptions, track settings, metadata, publishing, data channels). Every
task it starts is owned by a :class:`TaskSet` and awaited when a session ends.
The model is livekit-client's ``RTCEngine`` beside its ``Room``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiortc.rtcdatachannel import RTCDataChannel
from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk.core.errors import MediaNegotiationError, RoomError
from lkdesk.core.tasks import TaskSet
from lkdesk.core.waits import first_set
from lkdesk.rtc.engine import ice
from lkdesk.rtc.engine import signal_protocol as sp
from lkdesk.rtc.engine.data_transport import DataTransport
from lkdesk.rtc.engine.events import EngineEvent, Joined, LinkState, StateChanged
from lkdesk.rtc.engine.messages import MessageRouter
from lkdesk.rtc.engine.publisher import PublisherConnection
from lkdesk.rtc.engine.reasons import ended_message
from lkdesk.rtc.engine.reconnect import Reconnector
from lkdesk.rtc.engine.signal_client import SignalClient, SignalClosed
from lkdesk.rtc.engine.subscriber import SubscriberConnection

logger = logging.getLogger(__name__)

CHANNEL_OPEN_TIMEOUT_S = 10.0
PUBLISHER_CONNECT_TIMEOUT_S = 15.0

Listener = Callable[[EngineEvent], None]
FrameSink = Callable[[str, Any], None]
PacketSink = Callable[[proto_models.DataPacket], None]


@dataclass(frozen=True, slots=True)
class EngineOptions:
    join_timeout_s: float = 10.0
    media_timeout_s: float = 15.0
    stun_probe_budget_s: float = ice.STUN_PROBE_BUDGET_S
    client_protocol: int = sp.CLIENT_PROTOCOL


class RtcEngine:
    """One room's connections, across reconnects.

    ``restore`` runs after each full rejoin (republishing); ``closed`` once the room ended
    for good and every connection is closed.
    """

    def __init__(
        self,
        *,
        listener: Listener,
        on_frame: FrameSink,
        on_data: PacketSink,
        restore: Callable[[], Awaitable[None]],
        closed: Callable[[int], Awaitable[None]],
    ) -> None:
        self._listener = listener
        self._on_frame = on_frame
        self._restore = restore
        self._closed = closed
        self.data = DataTransport(self.open_data_channels, on_data)
        self.state = LinkState.DISCONNECTED
        self.token = ""
        self.url = ""
        self.options = EngineOptions()
        self.join: proto_rtc.JoinResponse | None = None
        self._signal: SignalClient | None = None
        self._subscriber: SubscriberConnection | None = None
        self._publisher: PublisherConnection | None = None
        self._publisher_lock = asyncio.Lock()
        self._ice_urls: list[ice.IceUrl] = []
        self._force_relay = False
        self._session_tasks = TaskSet("engine-session")
        self._media_connected = asyncio.Event()
        self._media_failed = asyncio.Event()
        self._router = MessageRouter(self)
        self._reconnector = Reconnector(self)

    # ----- lifecycle ---------------------------------------------------------------------

    async def connect(self, url: str, token: str, options: EngineOptions) -> None:
        """Join; raises a ``ConnectError`` subclass naming the cause, leaving nothing open."""
        self.url, self.token, self.options = url, token, options
        self.set_state(LinkState.CONNECTING)
        try:
            await self.start_session(rejoin=False)
        except BaseException:
            await self.end_session(send_leave=False)
            self.set_state(LinkState.DISCONNECTED)
            raise
        self.set_state(LinkState.CONNECTED)
        self.data.go_online()

    async def start_session(self, *, rejoin: bool) -> None:
        """Signalling, ICE configuration, subscriber PC; then wait for media (if we subscribe)."""
        signal = SignalClient()
        self._signal = signal
        join = await signal.join(
            self.url,
            self.token,
            sp.JoinParams(auto_subscribe=False, client_protocol=self.options.client_protocol),
            join_timeout=self.options.join_timeout_s,
        )
        self.join = join
        self._session_tasks = TaskSet("engine-session", on_error=self._task_failed)
        self._media_connected = asyncio.Event()
        self._media_failed = asyncio.Event()
        urls = ice.flatten(join.ice_servers)
        self._ice_urls = await ice.reachable(urls, self.options.stun_probe_budget_s)
        self._force_relay = (
            join.client_configuration.force_relay == proto_models.ClientConfigSetting.ENABLED
        )
        self._subscriber = SubscriberConnection(
            self._ice_urls,
            force_relay=self._force_relay,
            on_frame=self._on_frame,
            on_datachannel=self.data.attach,
            on_state=self._on_subscriber_state,
        )
        self._listener(Joined(join, rejoin=rejoin))
        self._session_tasks.spawn(self._dispatch(signal), "dispatcher")
        if join.subscriber_primary:  # else we may not subscribe: nothing to wait for yet
            await self._wait_media(self.options.media_timeout_s)

    async def end_session(self, *, send_leave: bool) -> None:
        """Close one session's signalling and peer connections; the engine can start anew."""
        signal, self._signal = self._signal, None
        if signal is not None:
            await signal.close(send_leave=send_leave)
        await self._session_tasks.aclose()
        self._router.session_ended()
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            await publisher.close()
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            await subscriber.close()

    async def close(self, reason: int, *, send_leave: bool) -> None:
        """End for good: no more reconnects; waiting sends fail with ``reason``."""
        if self.state == LinkState.DISCONNECTED:
            return
        await self._reconnector.stop()
        self.data.close(ended_message(reason))
        self.set_state(LinkState.DISCONNECTED, reason)
        await self.end_session(send_leave=send_leave)
        await self._closed(reason)

    def close_soon(self, reason: int) -> None:
        """End from inside a callback or the dispatcher (the closer is owned by the reconnector)."""
        self._reconnector.spawn_close(reason)

    def connection_lost(self, why: str) -> None:
        """Signalling or media broke: reconnect in the background (once)."""
        if self.state != LinkState.CONNECTED:
            return
        logger.warning("connection lost (%s); reconnecting", why)
        self.data.go_offline()
        self.set_state(LinkState.RECONNECTING)
        self._reconnector.start()

    async def restore_after_rejoin(self) -> None:
        """Called by the reconnector once a new session is up."""
        await self._restore()
        await self.data.come_back(new_session=True)

    def emit(self, event: EngineEvent) -> None:
        """Tell the owner (the room)."""
        self._listener(event)

    def set_state(self, state: LinkState, reason: int = 0) -> None:
        if state != self.state:
            self.state = state
            self._listener(StateChanged(state, reason))

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run a slow reaction (a renegotiation) in this session without stalling dispatch."""
        self._session_tasks.spawn(coro, name)

    def _task_failed(self, error: BaseException) -> None:
        logger.error("an engine task failed: %s", error)

    # ----- media connection ----------------------------------------------------------------

    async def _wait_media(self, limit_s: float) -> None:
        if not await first_set(self._media_connected, self._media_failed, limit_s):
            raise MediaNegotiationError(
                "Signalling worked but the media connection to the server could not be "
                "established (UDP blocked, or the server's ICE address is unreachable). "
                "Check firewalls and the server's rtc.node_ip setting."
            )

    def _on_subscriber_state(self, state: str) -> None:
        logger.debug("subscriber connection %s", state)
        if state == "connected":
            self._media_connected.set()
        elif state in ("failed", "closed"):
            self._media_failed.set()
            if state == "failed":
                self.connection_lost("the media connection failed")

    # ----- signalling --------------------------------------------------------------------

    async def _dispatch(self, signal: SignalClient) -> None:
        """Consume signalling messages in arrival order (one task per session)."""
        while True:
            message = await signal.events.get()
            if isinstance(message, SignalClosed):
                if message.reason is not None:
                    self.connection_lost(message.reason)
                return
            await self._router.route(message)

    def send(self, request: proto_rtc.SignalRequest) -> None:
        """Queue a signalling request (dropped, logged, when signalling is down)."""
        if self._signal is not None:
            self._signal.send_nowait(request)

    @property
    def subscriber(self) -> SubscriberConnection | None:
        return self._subscriber

    @property
    def signal(self) -> SignalClient | None:
        return self._signal

    @property
    def publisher_connection(self) -> PublisherConnection | None:
        return self._publisher

    # ----- commands --------------------------------------------------------------------------

    def update_subscription(self, track_sid: str, participant_sid: str, subscribe: bool) -> None:
        self.send(
            proto_rtc.SignalRequest(
                subscription=proto_rtc.UpdateSubscription(
                    track_sids=[track_sid],
                    subscribe=subscribe,
                    participant_tracks=[
                        proto_models.ParticipantTracks(
                            participant_sid=participant_sid, track_sids=[track_sid]
                        )
                    ],
                )
            )
        )

    def update_track_settings(
        self, track_sid: str, *, enabled: bool, width: int = 0, height: int = 0
    ) -> None:
        self.send(
            proto_rtc.SignalRequest(
                track_setting=proto_rtc.UpdateTrackSettings(
                    track_sids=[track_sid], disabled=not enabled, width=width, height=height
                )
            )
        )

    async def update_metadata(
        self, *, name: str, metadata: str, attributes: dict[str, str]
    ) -> proto_rtc.RequestResponse:
        """Send UpdateParticipantMetadata and wait (5 s) for the server's RequestResponse."""
        return await self._router.request(
            lambda request_id: proto_rtc.SignalRequest(
                update_metadata=proto_rtc.UpdateParticipantMetadata(
                    name=name, metadata=metadata, attributes=attributes, request_id=request_id
                )
            )
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
                    self._ice_urls, force_relay=self._force_relay, send_signal=self.send
                )
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

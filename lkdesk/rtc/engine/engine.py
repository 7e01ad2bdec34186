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
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiortc.rtcdatachannel import RTCDataChannel
from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk.core.errors import MediaNegotiationError, RoomError
from lkdesk.core.tasks import TaskSet
from lkdesk.core.tls import ServerTrust
from lkdesk.core.waits import first_set
from lkdesk.rtc.engine import commands, ice
from lkdesk.rtc.engine import signal_protocol as sp
from lkdesk.rtc.engine.data_transport import DataTransport
from lkdesk.rtc.engine.events import EngineEvent, Joined, LinkState, Resumed, StateChanged
from lkdesk.rtc.engine.messages import MessageRouter
from lkdesk.rtc.engine.publisher import PublisherConnection
from lkdesk.rtc.engine.reasons import ended_message
from lkdesk.rtc.engine.reconnect import Reconnector
from lkdesk.rtc.engine.signal_client import SignalClient, SignalClosed
from lkdesk.rtc.engine.subscriber import FrameCrypto, SubscriberConnection
from lkdesk.rtc.engine.sync_state import build_sync_state

logger = logging.getLogger(__name__)

CHANNEL_OPEN_TIMEOUT_S = 10.0
#: A resume's ICE restarts normally take well under a second; longer means the path is
#: still down, and another attempt (a fresh restart) is the way on.
RESUME_MEDIA_TIMEOUT_S = 6.0
#: No datagram at all from the server for this long means the media path is dead (the
#: server's ICE keepalive, every 2 s, and answers to our consent checks normally arrive).
#: Shorter outages heal on the same path: SCTP retransmits, video receivers ask for a
#: keyframe; an ICE restart started inside an outage fails on the server's side (its checks
#: give up within ~1.5 s) and would only delay that. A path whose local address left the
#: machine is given up at once.
SILENCE_LIMIT_S = 12.0
PUBLISHER_CONNECT_TIMEOUT_S = 15.0

Listener = Callable[[EngineEvent], None]
FrameSink = Callable[[str, Any], None]
PacketSink = Callable[[proto_models.DataPacket], None]


@dataclass(frozen=True, slots=True)
class EngineOptions:
    join_timeout_s: float = 10.0
    media_timeout_s: float = 15.0
    stun_probe_budget_s: float = ice.STUN_PROBE_BUDGET_S
    trust: ServerTrust = field(default_factory=ServerTrust)  # wss://, turns: (+ system store)
    client_protocol: int = sp.CLIENT_PROTOCOL


class RtcEngine:
    """One room's connections, across reconnects.

    ``restore`` runs after each full rejoin (republishing); ``closed`` once the room ended
    for good and every connection is closed; ``sync_state`` gives the models' part of a
    resume's SyncState (published tracks, subscriptions, paused tracks).
    """

    def __init__(
        self,
        *,
        listener: Listener,
        on_frame: FrameSink,
        on_data: PacketSink,
        restore: Callable[[], Awaitable[None]],
        closed: Callable[[int], Awaitable[None]],
        sync_state: Callable[[], proto_rtc.SyncState],
    ) -> None:
        self._listener = listener
        self._on_frame = on_frame
        self._restore = restore
        self._closed = closed
        self._sync_state = sync_state
        self._resume_refused = False
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
        self._ice = ice.IcePlan()
        self._ice_offered: list[ice.IceUrl] = []
        self._force_relay = False
        self._session_tasks = TaskSet("engine-session")
        self._media_connected = asyncio.Event()
        self._media_failed = asyncio.Event()
        self._router = MessageRouter(self)
        self._silence_watch: asyncio.Task[None] | None = None
        self._reconnector = Reconnector(self)
        self.frame_crypto: FrameCrypto | None = None  # end-to-end encryption (rtc/e2ee)

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
        signal = SignalClient(self.options.trust)
        self._signal = signal
        join = await signal.join(
            self.url,
            self.token,
            sp.JoinParams(auto_subscribe=False, client_protocol=self.options.client_protocol),
            join_timeout=self.options.join_timeout_s,
        )
        self.join = join
        self._resume_refused = False
        self._session_tasks = TaskSet("engine-session", on_error=self._task_failed)
        self._media_connected = asyncio.Event()
        self._media_failed = asyncio.Event()
        self._ice_offered = ice.flatten(join.ice_servers)
        self._ice = await ice.plan(
            self._ice_offered, self.options.stun_probe_budget_s, self.options.trust
        )
        self._force_relay = (
            join.client_configuration.force_relay == proto_models.ClientConfigSetting.ENABLED
        )
        self._subscriber = SubscriberConnection(
            self._ice.urls,
            force_relay=self._force_relay,
            turn_tls=self._ice.turn_tls,
            on_frame=self._on_frame,
            on_datachannel=self.data.attach,
            on_state=self._on_subscriber_state,
            frame_crypto=self.frame_crypto,
        )
        self._listener(Joined(join, rejoin=rejoin))
        self._session_tasks.spawn(self._dispatch(signal), "dispatcher")
        self._silence_watch = self._session_tasks.spawn(self._watch_silence(), "silence-watch")
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

    def connection_lost(self, why: str, *, resume: bool = True) -> None:
        """Signalling or media broke: reconnect in the background (once).

        ``resume=False`` when the server said only a full rejoin can help.
        """
        if not resume:
            self._resume_refused = True
        if self.state != LinkState.CONNECTED:
            return
        logger.warning("connection lost (%s); reconnecting", why)
        self.data.go_offline()
        self.set_state(LinkState.RECONNECTING)
        self._reconnector.start()

    def can_resume(self) -> bool:
        """Whether the next reconnect may resume this session (else: a full rejoin)."""
        join = self.join
        return (
            not self._resume_refused
            and join is not None
            and join.client_configuration.resume_connection
            != proto_models.ClientConfigSetting.DISABLED
            and self._signal is not None
            and self._signal.session is not None
            and self._subscriber is not None
            and self._media_connected.is_set()
        )

    async def resume_session(self) -> None:
        """Resume: signalling back to the same session, SyncState, ICE restarted on both PCs.

        The server answers with a ReconnectResponse and re-offers the subscriber with new
        ICE credentials; we restart the publisher's ICE ourselves. Raises when the server
        refuses (``ResumeRefused``) or the media path does not come back in time.
        """
        old = self._signal
        assert old is not None and old.session is not None and self._subscriber is not None
        session = old.session
        await old.close(send_leave=False)
        signal = SignalClient(self.options.trust)
        params = sp.JoinParams(auto_subscribe=False, resume_sid=session.participant_sid)
        self._subscriber.expect_ice_restart(self._ice.urls)
        reconnect = await signal.resume(
            self.url, self.token, params, session, limit_s=self.options.join_timeout_s
        )
        self._signal = signal
        offered = ice.flatten(reconnect.ice_servers)
        if offered:
            self._ice = await self._replan(offered)
            self._subscriber.expect_ice_restart(self._ice.urls)
        self._session_tasks.spawn(self._dispatch(signal), "dispatcher")
        state = build_sync_state(
            self._sync_state(), session, self._publisher, self._subscriber, self.data
        )
        self.send(proto_rtc.SignalRequest(sync_state=state))
        async with asyncio.timeout(RESUME_MEDIA_TIMEOUT_S):
            if self._publisher is not None:
                await self._publisher.restart_ice(self._ice.urls)
            await self._subscriber.ice_restarted()
        for connection in (self._subscriber, self._publisher):
            if connection is not None:
                connection.liveness.reset()  # the restarted path counts from now
        await self._session_tasks.cancel(self._silence_watch)
        self._silence_watch = self._session_tasks.spawn(self._watch_silence(), "silence-watch")
        await self.data.come_back(new_session=False, server_last_seq=reconnect.last_message_seq)
        self.emit(Resumed())

    async def _replan(self, offered: list[ice.IceUrl]) -> ice.IcePlan:
        """The ICE plan for a ReconnectResponse's servers: fresh TURN credentials for the
        entries already chosen; a new probe (≤ 1 s) only when the server names new URLs — a
        resume must not wait a second for a STUN server known to be mute."""
        known = {u.url for u in self._ice_offered}
        self._ice_offered = offered
        if any(u.url not in known for u in offered):
            return await ice.plan(offered, self.options.stun_probe_budget_s, self.options.trust)
        fresh = {u.url: u for u in offered}
        urls = [fresh.get(u.url, u) for u in self._ice.urls]
        return dataclasses.replace(self._ice, urls=urls)

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
            raise MediaNegotiationError(ice.media_failure_message(self._ice))

    def _on_subscriber_state(self, state: str) -> None:
        logger.debug("subscriber connection %s", state)
        if state == "connected":
            self._media_connected.set()
        elif state in ("failed", "closed"):
            self._media_failed.set()
            if state == "failed":
                self.connection_lost("the media connection failed")

    async def _watch_silence(self) -> None:
        """Declare the connection lost when a connected PC hears nothing for a while (or its
        local address went away); keep the video receivers' idea of the RTT current."""
        while True:
            await asyncio.sleep(1.0)
            signal, subscriber = self._signal, self._subscriber
            if signal is not None and signal.rtt_ms and subscriber is not None:
                for recovery in subscriber.recoveries:  # NACK and keyframe pacing follow RTT
                    recovery.set_rtt(signal.rtt_ms / 1000)
            for connection in (self._subscriber, self._publisher):
                if connection is None or connection.connection_state != "connected":
                    continue
                silent = connection.liveness.silent_for()
                if silent > SILENCE_LIMIT_S:
                    self.connection_lost(f"nothing received from the server for {silent:.0f} s")
                    return
                if silent > 1.0 and connection.liveness.local_address_gone():
                    self.connection_lost("this machine's network address changed")
                    return

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

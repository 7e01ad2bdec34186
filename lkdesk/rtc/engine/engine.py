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
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk.core.errors import MediaNegotiationError
from lkdesk.core.tasks import TaskSet
from lkdesk.core.tls import ServerTrust
from lkdesk.core.waits import first_set
from lkdesk.rtc.engine import ice
from lkdesk.rtc.engine import signal_protocol as sp
from lkdesk.rtc.engine.data_transport import DataTransport
from lkdesk.rtc.engine.engine_requests import EngineRequests
from lkdesk.rtc.engine.events import (
    EngineEvent,
    Joined,
    LinkState,
    Resumed,
    StateChanged,
    TrackBound,
)
from lkdesk.rtc.engine.messages import MessageRouter
from lkdesk.rtc.engine.publisher import PublisherConnection
from lkdesk.rtc.engine.reasons import ended_message
from lkdesk.rtc.engine.reconnect import Reconnector
from lkdesk.rtc.engine.signal_client import SignalClient, SignalClosed, V1Unavailable
from lkdesk.rtc.engine.single_pc import SinglePeerConnection
from lkdesk.rtc.engine.subscriber import BindingChange, FrameCrypto, SubscriberConnection
from lkdesk.rtc.engine.sync_state import build_sync_state

logger = logging.getLogger(__name__)

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
#: Whether a room joins in single-peer-connection mode (``/rtc/v1``, falling back to ``/rtc``
#: on servers without it) when its options do not say. Still two PCs: the engine's
#: integration suite run in v1 mode (LKDESK_TEST_SINGLE_PC=1) has not yet passed whole
#: (README, "Peer connections").
DEFAULT_SINGLE_PEER_CONNECTION = False

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
    #: True: one peer connection (``/rtc/v1``, or ``/rtc`` if the server lacks it); False:
    #: two (``/rtc``); None: :data:`DEFAULT_SINGLE_PEER_CONNECTION`.
    single_peer_connection: bool | None = None


class RtcEngine(EngineRequests):
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
        self._single: SinglePeerConnection | None = None  # also self._publisher, in v1 mode
        self._no_v1 = False  # the server said it has no /rtc/v1
        self._publisher_lock = asyncio.Lock()
        self._ice = ice.IcePlan()
        self._ice_offered: list[ice.IceUrl] = []
        self._force_relay = False
        self._session_tasks = TaskSet("engine-session")
        self._retiring = TaskSet("engine-retiring")  # old peer connections closing
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
        self._no_v1 = False
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
        """Signalling, ICE configuration, peer connections; then wait for media.

        Two PCs (v0): the subscriber's media is waited for (if we may subscribe). One PC
        (v1): we offer it at once and wait for it.
        """
        join, v1 = await self._join_signal()
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
        if v1:
            self._single = self._publisher = self._single_connection()
        else:
            self._subscriber = SubscriberConnection(
                self._ice.urls,
                force_relay=self._force_relay,
                turn_tls=self._ice.turn_tls,
                on_frame=self._on_frame,
                on_datachannel=self.data.attach,
                on_state=functools.partial(self._on_subscriber_state, self._media_connected),
                frame_crypto=self.frame_crypto,
            )
        self._listener(Joined(join, rejoin=rejoin))
        assert self._signal is not None
        self._session_tasks.spawn(self._dispatch(self._signal), "dispatcher")
        self._silence_watch = self._session_tasks.spawn(self._watch_silence(), "silence-watch")
        if self._single is not None:
            await self._single.negotiate()
            await self._wait_media(self.options.media_timeout_s)
        elif join.subscriber_primary:  # else we may not subscribe: nothing to wait for yet
            await self._wait_media(self.options.media_timeout_s)

    async def _join_signal(self) -> tuple[proto_rtc.JoinResponse, bool]:
        """Join at ``/rtc/v1`` if wanted and the server has it, else at ``/rtc``.

        Returns the JoinResponse and whether the session is in single-PC mode.
        """
        mode = self.options.single_peer_connection
        v1 = (DEFAULT_SINGLE_PEER_CONNECTION if mode is None else mode) and not self._no_v1
        params = sp.JoinParams(
            auto_subscribe=False,
            client_protocol=self.options.client_protocol,
            single_peer_connection=v1,
        )
        self._signal = SignalClient(self.options.trust)
        try:
            join = await self._signal.join(
                self.url, self.token, params, join_timeout=self.options.join_timeout_s
            )
        except V1Unavailable:
            logger.info("the server has no /rtc/v1; joining with two peer connections")
            self._no_v1, v1 = True, False
            params = dataclasses.replace(params, single_peer_connection=False)
            self._signal = SignalClient(self.options.trust)
            join = await self._signal.join(
                self.url, self.token, params, join_timeout=self.options.join_timeout_s
            )
        return join, v1

    def _single_connection(self) -> SinglePeerConnection:
        single = SinglePeerConnection(
            self._ice.urls,
            force_relay=self._force_relay,
            send_signal=self.send,
            turn_tls=self._ice.turn_tls,
            on_frame=self._on_frame,
            on_bound=self._bound,
            on_state=functools.partial(self._on_subscriber_state, self._media_connected),
            on_failed=lambda why: self.connection_lost(why, resume=False),
            frame_crypto=self.frame_crypto,
        )
        for channel in (single.reliable, single.lossy):  # downstream data arrives here too
            self.data.attach(channel)
        return single

    def _bound(self, changes: list[BindingChange]) -> None:
        for change in changes:
            self.emit(TrackBound(change.mid, change.old_sid, change.new_sid))

    async def end_session(self, *, send_leave: bool, wait: bool = True) -> None:
        """Close one session's signalling and peer connections; the engine can start anew.

        The peer connections close together; a rejoin does not ``wait`` for them (their TURN
        releases take 2 s when the server crashed or the path is dead). :meth:`close` does.
        """
        signal, self._signal = self._signal, None
        if signal is not None:
            await signal.close(send_leave=send_leave)
        await self._session_tasks.aclose()
        self._router.session_ended()
        publisher, self._publisher = self._publisher, None
        self._single = None
        subscriber, self._subscriber = self._subscriber, None
        closing = [pc.close() for pc in (publisher, subscriber) if pc is not None]
        if not closing:
            return
        retire = self._retiring.spawn(_close_all(closing), "retire-peer-connections")
        if wait:
            await retire

    async def close(self, reason: int, *, send_leave: bool) -> None:
        """End for good: no more reconnects; waiting sends fail with ``reason``."""
        if self.state == LinkState.DISCONNECTED:
            return
        await self._reconnector.stop()
        self.data.close(ended_message(reason))
        self.set_state(LinkState.DISCONNECTED, reason)
        await self.end_session(send_leave=send_leave)
        await self._retiring.wait()
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
            and (self._subscriber is not None or self._single is not None)
            and self._media_connected.is_set()
        )

    async def resume_session(self) -> None:
        """Resume: signalling back to the same session, SyncState, ICE restarted on every PC.

        Two PCs: the server answers with a ReconnectResponse and re-offers the subscriber
        with new ICE credentials; we restart the publisher's ICE ourselves. One PC: the
        server restarts nothing; our ICE-restart offer does it. Raises when the server
        refuses (``ResumeRefused``) or the media path does not come back in time.
        """
        old = self._signal
        subscriber, single = self._subscriber, self._single
        assert old is not None and old.session is not None
        assert subscriber is not None or single is not None
        session = old.session
        if single is not None:
            single.hold_negotiations()
        try:
            await old.close(send_leave=False)
            signal = SignalClient(self.options.trust)
            params = sp.JoinParams(
                auto_subscribe=False,
                resume_sid=session.participant_sid,
                client_protocol=self.options.client_protocol,
                single_peer_connection=single is not None,
            )
            if subscriber is not None:
                subscriber.expect_ice_restart(self._ice.urls)
            reconnect = await signal.resume(
                self.url, self.token, params, session, limit_s=self.options.join_timeout_s
            )
            self._signal = signal
            offered = ice.flatten(reconnect.ice_servers)
            if offered:
                self._ice = await self._replan(offered)
                if subscriber is not None:
                    subscriber.expect_ice_restart(self._ice.urls)
            self._session_tasks.spawn(self._dispatch(signal), "dispatcher")
            state = build_sync_state(
                self._sync_state(), session, self._publisher, subscriber, self.data
            )
            if single is not None:  # offer and answer are the publisher's in this mode
                for field_name in ("offer", "answer"):
                    description = getattr(single, f"last_{field_name}")
                    if description is not None:
                        getattr(state, field_name).CopyFrom(description)
            self.send(proto_rtc.SignalRequest(sync_state=state))
            async with asyncio.timeout(RESUME_MEDIA_TIMEOUT_S):
                if self._publisher is not None:
                    await self._publisher.restart_ice(self._ice.urls)
                if subscriber is not None:
                    await subscriber.ice_restarted()
        finally:
            if single is not None:
                single.release_negotiations()
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
        self.spawn(self.data.come_back(new_session=True), "data-back")  # may wait for people

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

    def _on_subscriber_state(self, session: asyncio.Event, state: str) -> None:
        if session is not self._media_connected:
            return  # a PC of an ended session closing late must not fail the new one
        logger.debug("subscriber connection %s", state)
        if state == "connected":
            self._media_connected.set()
        elif state in ("failed", "closed"):
            self._media_failed.set()
            if state == "failed":
                self.connection_lost("the media connection failed")

    async def _watch_silence(self) -> None:
        """Declare the connection lost when a PC fails or closes on its own, or hears nothing
        for a while (or its local address went away); keep video receivers' RTT current."""
        while True:
            await asyncio.sleep(1.0)
            signal, receiving = self._signal, self._subscriber or self._single
            if signal is not None and signal.rtt_ms and receiving is not None:
                for recovery in receiving.recoveries:  # NACK and keyframe pacing follow RTT
                    recovery.set_rtt(signal.rtt_ms / 1000)
            for connection in (self._subscriber, self._publisher):
                if connection is None or not connection.ever_connected:
                    continue
                state = connection.connection_state
                if state in ("failed", "closed"):  # ICE consent lost; DTLS ended (a rejoin)
                    self.connection_lost(f"a media connection {state}", resume=state == "failed")
                    return
                silent = connection.liveness.silent_for() if state == "connected" else 0.0
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


async def _close_all(closing: list[Coroutine[Any, Any, None]]) -> None:
    await asyncio.gather(*closing)

"""``Room``: the public façade of lkdesk's LiveKit client (names as in ``livekit.rtc``).

One dispatcher task consumes signalling messages in arrival order and routes them through
a table of small handlers. Every task the room starts is owned and awaited on disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk.errors import ConnectError, LkdeskError, MediaNegotiationError, RoomError
from lkdesk.rtc import ice
from lkdesk.rtc.data import CHANNEL_OPEN_TIMEOUT_S, RoomData
from lkdesk.rtc.events import EventEmitter
from lkdesk.rtc.local_track import LocalTrack, TrackPublishOptions
from lkdesk.rtc.participant import Event, LocalParticipant, RemoteParticipant
from lkdesk.rtc.publication import RemoteTrackPublication
from lkdesk.rtc.publishing import LocalMedia
from lkdesk.rtc.reconnect import RECONNECT_DELAYS_S, is_final
from lkdesk.rtc.signal_client import SignalClient, SignalClosed
from lkdesk.rtc.signal_protocol import JoinOptions
from lkdesk.rtc.subscriber import BindingChange, SubscriberConnection
from lkdesk.rtc.track import RemoteTrack
from lkdesk.rtc.types import (
    ConnectionQuality,
    ConnectionState,
    DisconnectReason,
    describe_disconnect,
)
from lkdesk.rtc.waits import first_set

logger = logging.getLogger(__name__)

EventTypes = Literal[
    "data_received",
    "sip_dtmf_received",
    "chat_message_packet",
    "local_track_published",
    "local_track_unpublished",
    "participant_connected",
    "participant_disconnected",
    "track_published",
    "track_unpublished",
    "track_subscribed",
    "track_unsubscribed",
    "track_subscription_failed",
    "track_muted",
    "track_unmuted",
    "active_speakers_changed",
    "room_metadata_changed",
    "participant_metadata_changed",
    "participant_name_changed",
    "participant_attributes_changed",
    "participant_permissions_changed",
    "connection_quality_changed",
    "connection_state_changed",
    "connected",
    "disconnected",
    "reconnecting",
    "reconnected",
    "token_refreshed",
]

_QUALITY = {
    proto_models.ConnectionQuality.POOR: ConnectionQuality.QUALITY_POOR,
    proto_models.ConnectionQuality.GOOD: ConnectionQuality.QUALITY_GOOD,
    proto_models.ConnectionQuality.EXCELLENT: ConnectionQuality.QUALITY_EXCELLENT,
    proto_models.ConnectionQuality.LOST: ConnectionQuality.QUALITY_LOST,
}


@dataclass(frozen=True, slots=True)
class RoomOptions:
    """How to join. ``auto_subscribe`` subscribes to every track lkdesk can decode."""

    auto_subscribe: bool = True
    join_timeout_s: float = 10.0
    media_timeout_s: float = 15.0
    stun_probe_budget_s: float = ice.STUN_PROBE_BUDGET_S


class Room(EventEmitter[EventTypes]):
    """A LiveKit room session."""

    def __init__(self) -> None:
        super().__init__()
        self.connection_state = ConnectionState.CONN_DISCONNECTED
        self.remote_participants: dict[str, RemoteParticipant] = {}
        self.local_participant: LocalParticipant | None = None
        self.active_speakers: list[Any] = []
        self.disconnect_reason: int | None = None
        self._info = proto_models.Room()
        self._options = RoomOptions()
        self._signal: SignalClient | None = None
        self._subscriber: SubscriberConnection | None = None
        self._local_media: LocalMedia | None = None
        self._data = RoomData(
            open_channels=self._open_data_channels,
            can_publish_data=self._can_publish_data,
            emit=self.emit,
            participant_for=self._participant_by_identity,
        )
        self._dispatcher: asyncio.Task[None] | None = None
        self._tracks: dict[str, tuple[RemoteTrack, RemoteTrackPublication, RemoteParticipant]] = {}
        self._pending_bindings: set[str] = set()
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._token = ""
        self._pending_requests: dict[int, asyncio.Future[proto_rtc.RequestResponse]] = {}
        self._request_ids = itertools.count(1)
        self._media_connected = asyncio.Event()
        self._media_failed = asyncio.Event()
        self._url = ""
        self._reconnector: asyncio.Task[None] | None = None
        self._end_task: asyncio.Task[None] | None = None
        self._ending = False
        self.last_error: LkdeskError | None = None
        self._signal_handlers: dict[str, Callable[[Any], Awaitable[None] | None]] = {
            "offer": self._on_offer,
            "trickle": self._on_trickle,
            "update": self._on_participant_update,
            "leave": self._on_leave,
            "speakers_changed": self._on_speakers_changed,
            "room_update": self._on_room_update,
            "connection_quality": self._on_connection_quality,
            "refresh_token": self._on_refresh_token,
            "subscription_response": self._on_subscription_response,
            "request_response": self._on_request_response,
            "answer": self._on_answer,
            "track_published": self._on_track_published,
            "mute": self._on_server_mute,
            "track_unpublished": self._on_server_unpublished,
        }

    # ----- public API -------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._info.name

    @property
    def sid(self) -> str:
        return self._info.sid

    @property
    def metadata(self) -> str:
        return self._info.metadata

    @property
    def num_participants(self) -> int:
        return self._info.num_participants

    @property
    def token(self) -> str:
        """The newest token for this session (the server refreshes it periodically)."""
        return self._token

    def isconnected(self) -> bool:
        return self.connection_state == ConnectionState.CONN_CONNECTED

    async def connect(self, url: str, token: str, options: RoomOptions | None = None) -> None:
        """Join the room. Raises a :class:`ConnectError` subclass naming the cause."""
        if self.connection_state != ConnectionState.CONN_DISCONNECTED:
            raise RoomError("This room is already connected or connecting.")
        self._options = options or RoomOptions()
        self._token = token
        self._url = url
        self._ending = False
        self.last_error = None
        self._set_state(ConnectionState.CONN_CONNECTING)
        try:
            await self._join(url, token)
        except BaseException:
            await self._teardown(send_leave=False)
            self._set_state(ConnectionState.CONN_DISCONNECTED)
            raise
        self._set_state(ConnectionState.CONN_CONNECTED)
        self._data.transport.go_online()
        self.emit("connected")

    async def disconnect(self) -> None:
        """Leave the room; every task, socket and decoder thread is stopped."""
        if self.connection_state == ConnectionState.CONN_DISCONNECTED:
            return
        await self._stop_reconnecting()
        await self._end(proto_models.DisconnectReason.CLIENT_INITIATED, send_leave=True)

    def register_text_stream_handler(self, topic: str, handler: Any) -> None:
        """Call ``handler(reader, participant_identity)`` for each text stream on ``topic``."""
        self._data.streams.register_text(topic, handler)

    def unregister_text_stream_handler(self, topic: str) -> None:
        self._data.streams.unregister_text(topic)

    def register_byte_stream_handler(self, topic: str, handler: Any) -> None:
        """Call ``handler(reader, participant_identity)`` for each byte stream on ``topic``."""
        self._data.streams.register_byte(topic, handler)

    def unregister_byte_stream_handler(self, topic: str) -> None:
        self._data.streams.unregister_byte(topic)

    def _participant_by_identity(self, identity: str) -> Any:
        if self.local_participant is not None and identity == self.local_participant.identity:
            return self.local_participant
        return self.remote_participants.get(identity)

    def _can_publish_data(self) -> bool:
        local = self.local_participant
        return local is not None and local.permissions.can_publish_data

    async def _open_data_channels(self) -> tuple[Any, Any]:
        if self._local_media is None or self.connection_state == ConnectionState.CONN_DISCONNECTED:
            raise RoomError("Not connected to a room.")
        publisher = await self._local_media.ensure_connected()
        for channel in (publisher.reliable, publisher.lossy):
            if channel.readyState != "open":
                opened = asyncio.Event()
                channel.once("open", opened.set)
                if channel.readyState != "open":
                    async with asyncio.timeout(CHANNEL_OPEN_TIMEOUT_S):
                        await opened.wait()
        return publisher.reliable, publisher.lossy

    # ----- join -------------------------------------------------------------------

    async def _join(self, url: str, token: str, *, rejoin: bool = False) -> None:
        signal = SignalClient()
        self._signal = signal
        join = await signal.join(
            url, token, JoinOptions(auto_subscribe=False), join_timeout=self._options.join_timeout_s
        )
        self._info = join.room
        self._media_connected = asyncio.Event()
        self._media_failed = asyncio.Event()
        if self.local_participant is None or not rejoin:
            self.local_participant = LocalParticipant(join.participant, self._update_local)
        else:
            self._emit_all(self.local_participant._rejoined(join.participant))
        urls = await ice.reachable(ice.flatten(join.ice_servers), self._options.stun_probe_budget_s)
        force_relay = (
            join.client_configuration.force_relay == proto_models.ClientConfigSetting.ENABLED
        )
        local = self.local_participant
        self._local_media = LocalMedia(
            ice_urls=urls,
            force_relay=force_relay,
            send=signal.send_nowait,
            emit=self.emit,
            permissions=lambda: local.permissions,
            participant=local,
        )
        local._media = self._local_media
        local._data = self._data
        self._subscriber = SubscriberConnection(
            urls,
            force_relay=force_relay,
            on_frame=self._on_frame,
            on_datachannel=self._data.attach,
            on_state=self._on_media_state,
        )
        if rejoin:
            self._reconcile_participants(list(join.other_participants))
        else:
            for info in join.other_participants:
                participant = RemoteParticipant(info, self)
                self.remote_participants[info.identity] = participant
                participant._apply(info, initial=True)
        self._dispatcher = asyncio.create_task(self._dispatch(), name="lkdesk-room-dispatcher")
        if self._options.auto_subscribe:
            # Ask now: the server's offer then overlaps our ICE and DTLS handshake.
            for participant in self.remote_participants.values():
                for publication in participant.track_publications.values():
                    self._auto_subscribe(participant, publication)
        if not join.subscriber_primary:
            return  # no subscribe permission: nothing to wait for until we publish
        await self._wait_media(self._options.media_timeout_s)

    async def _wait_media(self, limit_s: float) -> None:
        if not await first_set(self._media_connected, self._media_failed, limit_s):
            raise MediaNegotiationError(
                "Signalling worked but the media connection to the server could not be "
                "established (UDP blocked, or the server's ICE address is unreachable). "
                "Check firewalls and the server's rtc.node_ip setting."
            )

    def _on_media_state(self, state: str) -> None:
        logger.debug("subscriber connection %s", state)
        if state == "connected":
            self._media_connected.set()
        elif state in ("failed", "closed"):
            self._media_failed.set()
            if state == "failed":
                self._connection_lost("the media connection failed")

    # ----- dispatcher ---------------------------------------------------------------

    async def _dispatch(self) -> None:
        assert self._signal is not None
        while True:
            message = await self._signal.events.get()
            if isinstance(message, SignalClosed):
                if message.reason is not None:
                    self._connection_lost(message.reason)
                return
            kind = message.WhichOneof("message")
            handler = self._signal_handlers.get(kind or "")
            if handler is None:
                logger.debug("unhandled signalling message %s", kind)
                continue
            try:
                result = handler(getattr(message, kind or ""))
                if result is not None:
                    await result
            except Exception:  # one bad message must not end the session
                logger.exception("handling %s failed", kind)

    # ----- reconnecting ---------------------------------------------------------------

    def _connection_lost(self, why: str) -> None:
        """Signalling or media broke: rejoin in the background (once)."""
        if self.connection_state != ConnectionState.CONN_CONNECTED or self._ending:
            return
        logger.warning("connection lost (%s); reconnecting", why)
        self._data.transport.go_offline()
        self._set_state(ConnectionState.CONN_RECONNECTING)
        self.emit("reconnecting")
        self._reconnector = asyncio.get_running_loop().create_task(
            self._reconnect(), name="lkdesk-reconnect"
        )

    async def _reconnect(self) -> None:
        saved = self._local_media.published() if self._local_media is not None else []
        for sid in list(self._tracks):
            self._drop_track(sid)
        for participant in self.remote_participants.values():
            for publication in participant.track_publications.values():
                publication._wanted = False
        self._pending_bindings.clear()
        for attempt, delay in enumerate(RECONNECT_DELAYS_S, start=1):
            await asyncio.sleep(delay)
            await self._teardown_session(send_leave=False)
            try:
                await self._join(self._url, self._token, rejoin=True)
                await self._republish(saved)
                await self._data.transport.come_back(new_session=True)
            except LkdeskError as error:
                logger.warning("reconnect attempt %d failed: %s", attempt, error)
                self.last_error = error
                if is_final(error):
                    break
                continue
            self._set_state(ConnectionState.CONN_CONNECTED)
            self.emit("reconnected")
            return
        self._ending = True
        self.disconnect_reason = proto_models.DisconnectReason.SIGNAL_CLOSE
        self._data.transport.close(_ended_message(self.disconnect_reason))
        await self._teardown(send_leave=False)
        self._set_state(ConnectionState.CONN_DISCONNECTED)
        self.emit("disconnected", self.disconnect_reason)

    async def _republish(self, saved: list[tuple[LocalTrack, TrackPublishOptions]]) -> None:
        assert self.local_participant is not None
        for track, options in saved:
            track._renew()
            await self.local_participant.publish_track(track, options)

    async def _stop_reconnecting(self) -> None:
        task, self._reconnector = self._reconnector, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _reconcile_participants(self, infos: list[proto_models.ParticipantInfo]) -> None:
        """After a rejoin: keep who is still here, announce who left or arrived."""
        present = {info.identity: info for info in infos}
        for identity, participant in list(self.remote_participants.items()):
            info = present.get(identity)
            if info is None or info.sid != participant.sid:
                self._remove_participant(participant)
        for info in infos:
            self._apply_remote_info(info)

    def _spawn_end(self, reason: int) -> None:
        """End the session from inside a callback or the dispatcher itself."""
        if self.connection_state == ConnectionState.CONN_DISCONNECTED or self._ending:
            return
        self._ending = True
        self._end_task = asyncio.get_running_loop().create_task(
            self._end(reason, send_leave=False), name="lkdesk-end"
        )

    async def _end(self, reason: int, *, send_leave: bool) -> None:
        if self.connection_state == ConnectionState.CONN_DISCONNECTED:
            return
        await self._stop_reconnecting()
        self._data.transport.close(_ended_message(reason))
        self.disconnect_reason = reason
        self._set_state(ConnectionState.CONN_DISCONNECTED)
        await self._teardown(send_leave=send_leave)
        self.emit("disconnected", reason)

    async def _teardown(self, *, send_leave: bool) -> None:
        await self._teardown_session(send_leave=send_leave)

    async def _teardown_session(self, *, send_leave: bool) -> None:
        """Stop one signalling/media session; participants and handlers survive it."""
        if self._signal is not None:
            await self._signal.close(send_leave=send_leave)
        side_tasks, self._side_tasks = self._side_tasks, set()
        for task in side_tasks:
            task.cancel()
        for task in side_tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None and dispatcher is not asyncio.current_task():
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
        await self._data.close()
        if self._local_media is not None:
            await self._local_media.close()
        if self._subscriber is not None:
            await self._subscriber.close()
        for track, _, _ in self._tracks.values():
            track._end()
        self._tracks.clear()
        for future in self._pending_requests.values():
            future.cancel()
        self._pending_requests.clear()

    def _set_state(self, state: ConnectionState) -> None:
        if state != self.connection_state:
            self.connection_state = state
            self.emit("connection_state_changed", state)

    # ----- signalling handlers --------------------------------------------------------

    async def _on_offer(self, offer: proto_rtc.SessionDescription) -> None:
        assert self._subscriber is not None and self._signal is not None
        sdp, changes = await self._subscriber.answer(offer.sdp, dict(offer.mid_to_track_id))
        self._signal.send_nowait(
            proto_rtc.SignalRequest(
                answer=proto_rtc.SessionDescription(type="answer", sdp=sdp, id=offer.id)
            )
        )
        for change in changes:
            self._apply_binding(change)

    async def _on_trickle(self, trickle: proto_rtc.TrickleRequest) -> None:
        if trickle.target == proto_rtc.SignalTarget.SUBSCRIBER and self._subscriber is not None:
            await self._subscriber.add_remote_candidate(trickle.candidateInit)
        elif self._local_media is not None and self._local_media.connection is not None:
            await self._local_media.connection.add_remote_candidate(trickle.candidateInit)

    def _on_answer(self, answer: proto_rtc.SessionDescription) -> None:
        if self._local_media is not None and self._local_media.connection is not None:
            self._local_media.connection.on_answer(answer)

    def _on_track_published(self, response: proto_rtc.TrackPublishedResponse) -> None:
        if self._local_media is not None:
            self._local_media.on_track_published(response)

    def _on_server_mute(self, request: proto_rtc.MuteTrackRequest) -> None:
        if self._local_media is not None:
            self._local_media.on_server_mute(request)

    def _spawn(self, coro: Any, name: str) -> None:
        """Run a slow reaction (a renegotiation) without stalling the dispatcher."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_task_done)

    def _side_task_done(self, task: asyncio.Task[None]) -> None:
        self._side_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s failed", task.get_name(), exc_info=task.exception())

    def _on_server_unpublished(self, response: proto_rtc.TrackUnpublishedResponse) -> None:
        if self._local_media is not None:
            self._spawn(self._local_media.on_server_unpublished(response), "lkdesk-unpublish")

    def _on_participant_update(self, update: proto_rtc.ParticipantUpdate) -> None:
        for info in update.participants:
            if self.local_participant is not None and info.sid == self.local_participant.sid:
                self._emit_all(self.local_participant._apply(info))
                continue
            self._apply_remote_info(info)
        self._retry_pending_bindings()

    def _apply_remote_info(self, info: proto_models.ParticipantInfo) -> None:
        participant = self.remote_participants.get(info.identity)
        if info.state == proto_models.ParticipantInfo.DISCONNECTED:
            if participant is not None and participant.sid == info.sid:
                self._remove_participant(participant)
            return
        if participant is not None and participant.sid != info.sid:
            self._remove_participant(participant)  # same identity rejoined
            participant = None
        if participant is None:
            participant = RemoteParticipant(info, self)
            self.remote_participants[info.identity] = participant
            self.emit("participant_connected", participant)
            events = participant._apply(info, initial=True)
        else:
            events = participant._apply(info)
        self._emit_all(events)

    def _emit_all(self, events: list[Event]) -> None:
        for name, args in events:
            if name == "track_unpublished":
                publication, participant = args
                self._drop_track(publication.sid)
                self.emit("track_unpublished", publication, participant)
                continue
            self.emit(name, *args)  # type: ignore[arg-type]
            if name == "track_published" and self._options.auto_subscribe:
                publication, participant = args
                self._auto_subscribe(participant, publication)

    def _remove_participant(self, participant: RemoteParticipant) -> None:
        self._data.participant_left(participant.identity)
        for publication in list(participant.track_publications.values()):
            self._drop_track(publication.sid)
            self.emit("track_unpublished", publication, participant)
        participant.track_publications.clear()
        self.remote_participants.pop(participant.identity, None)
        self.emit("participant_disconnected", participant)

    def _on_leave(self, leave: proto_rtc.LeaveRequest) -> None:
        logger.info("server asked us to leave (reason %d, action %d)", leave.reason, leave.action)
        if leave.action in (proto_rtc.LeaveRequest.RECONNECT, proto_rtc.LeaveRequest.RESUME):
            self._connection_lost("the server asked us to reconnect")
        else:
            self._spawn_end(leave.reason or DisconnectReason.UNKNOWN_REASON)

    def _on_speakers_changed(self, update: proto_rtc.SpeakersChanged) -> None:
        by_sid = {p.sid: p for p in self.remote_participants.values()}
        for speaker in update.speakers:
            participant = by_sid.get(speaker.sid)
            if participant is not None:
                participant.audio_level = speaker.level if speaker.active else 0.0
                participant.is_speaking = speaker.active
        speaking = [p for p in self.remote_participants.values() if p.is_speaking]
        speaking.sort(key=lambda p: p.audio_level, reverse=True)
        self.active_speakers = speaking
        self.emit("active_speakers_changed", list(speaking))

    def _on_room_update(self, update: proto_rtc.RoomUpdate) -> None:
        old = self._info.metadata
        self._info = update.room
        if old != update.room.metadata:
            self.emit("room_metadata_changed", old, update.room.metadata)

    def _on_connection_quality(self, update: proto_rtc.ConnectionQualityUpdate) -> None:
        by_sid = {p.sid: p for p in self.remote_participants.values()}
        for info in update.updates:
            participant = by_sid.get(info.participant_sid)
            quality = _QUALITY.get(info.quality, ConnectionQuality.QUALITY_GOOD)
            if participant is not None and participant.connection_quality != quality:
                participant.connection_quality = quality
                self.emit("connection_quality_changed", participant, quality)

    def _on_refresh_token(self, token: str) -> None:
        self._token = token
        self.emit("token_refreshed")

    def _on_subscription_response(self, response: proto_rtc.SubscriptionResponse) -> None:
        for participant in self.remote_participants.values():
            if response.track_sid in participant.track_publications:
                error = proto_models.SubscriptionError.Name(response.err)
                self.emit("track_subscription_failed", participant, response.track_sid, error)

    def _on_request_response(self, response: proto_rtc.RequestResponse) -> None:
        if self._local_media is not None and self._local_media.on_request_response(response):
            return
        future = self._pending_requests.pop(response.request_id, None)
        if future is not None and not future.done():
            future.set_result(response)
        elif response.reason != proto_rtc.RequestResponse.OK:
            logger.warning("server refused a request: %s", response.message)

    # ----- subscriptions ----------------------------------------------------------------

    def _auto_subscribe(
        self, participant: RemoteParticipant, publication: RemoteTrackPublication
    ) -> None:
        if publication.decodable:
            publication.set_subscribed(True)
        else:
            self.emit(
                "track_subscription_failed",
                participant,
                publication.sid,
                f"lkdesk cannot decode {', '.join(publication.codecs)}",
            )

    def _request_subscription(self, publication: RemoteTrackPublication) -> None:
        if self._signal is None:
            return
        owner = self._owner_of(publication.sid)
        self._signal.send_nowait(
            proto_rtc.SignalRequest(
                subscription=proto_rtc.UpdateSubscription(
                    track_sids=[publication.sid],
                    subscribe=publication.wanted,
                    participant_tracks=[
                        proto_models.ParticipantTracks(
                            participant_sid=owner.sid if owner else "", track_sids=[publication.sid]
                        )
                    ],
                )
            )
        )

    def _request_track_settings(self, publication: RemoteTrackPublication) -> None:
        if self._signal is None:
            return
        width, height = publication.video_dimensions or (0, 0)
        self._signal.send_nowait(
            proto_rtc.SignalRequest(
                track_setting=proto_rtc.UpdateTrackSettings(
                    track_sids=[publication.sid],
                    disabled=not publication.enabled,
                    width=width,
                    height=height,
                )
            )
        )

    def _owner_of(self, track_sid: str) -> RemoteParticipant | None:
        for participant in self.remote_participants.values():
            if track_sid in participant.track_publications:
                return participant
        return None

    def _apply_binding(self, change: BindingChange) -> None:
        if change.old_sid is not None:
            self._pending_bindings.discard(change.old_sid)
            self._drop_track(change.old_sid)
        if change.new_sid is not None:
            self._pending_bindings.add(change.new_sid)
            self._retry_pending_bindings()

    def _retry_pending_bindings(self) -> None:
        for sid in list(self._pending_bindings):
            owner = self._owner_of(sid)
            if owner is None:
                continue  # the ParticipantUpdate naming this track has not arrived yet
            self._pending_bindings.discard(sid)
            publication = owner.track_publications[sid]
            if publication.track is None:
                track = publication._make_track()
                publication.track = track
                self._tracks[sid] = (track, publication, owner)
                self.emit("track_subscribed", track, publication, owner)

    def _drop_track(self, sid: str) -> None:
        entry = self._tracks.pop(sid, None)
        if entry is None:
            return
        track, publication, participant = entry
        publication.track = None
        track._end()
        self.emit("track_unsubscribed", track, publication, participant)

    def _on_frame(self, sid: str, frame: Any) -> None:
        entry = self._tracks.get(sid)
        if entry is not None:
            entry[0]._deliver(frame)

    # ----- local participant requests ------------------------------------------------------

    async def _update_local(
        self,
        *,
        name: str | None = None,
        metadata: str | None = None,
        attributes: dict[str, str] | None = None,
    ) -> None:
        if self._signal is None or self.local_participant is None or not self.isconnected():
            raise RoomError("Not connected to a room.")
        request_id = next(self._request_ids)
        current = self.local_participant
        request = proto_rtc.UpdateParticipantMetadata(
            name=current.name if name is None else name,
            metadata=current.metadata if metadata is None else metadata,
            attributes=attributes or {},
            request_id=request_id,
        )
        future: asyncio.Future[proto_rtc.RequestResponse] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending_requests[request_id] = future
        self._signal.send_nowait(proto_rtc.SignalRequest(update_metadata=request))
        try:
            async with asyncio.timeout(5):
                response = await future
        except TimeoutError as exc:
            raise RoomError("The server did not confirm the change within 5 s.") from exc
        finally:
            self._pending_requests.pop(request_id, None)
        if response.reason != proto_rtc.RequestResponse.OK:
            reason = proto_rtc.RequestResponse.Reason.Name(response.reason)
            if response.reason == proto_rtc.RequestResponse.NOT_ALLOWED:
                raise RoomError(
                    "The server did not allow this change: the token lacks the "
                    "canUpdateOwnMetadata grant."
                )
            raise RoomError(f"The server refused the change ({reason}: {response.message}).")


def _ended_message(reason: int) -> str:
    if reason == proto_models.DisconnectReason.CLIENT_INITIATED:
        return "You left the room before this could be sent."
    return f"The call ended before this could be sent: {describe_disconnect(reason)}"


__all__ = ["ConnectError", "Room", "RoomOptions"]

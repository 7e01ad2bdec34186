"""``Room``: the public façade of lkdesk's LiveKit client (names as in ``livekit.rtc``).

The room keeps models only: participants (roster.py), subscriptions (subscriptions.py),
what we publish (publishing.py) and the data features (data.py). Its :class:`RtcEngine`
owns every connection and reports through typed events, which the room applies to the
models and re-emits under the official SDK's event names — as python-sdks' ``room.py``
does over its FFI engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk.core.emitter import EventEmitter
from lkdesk.core.errors import ConnectError, RoomError
from lkdesk.rtc.data import PeerFeatures, RoomData
from lkdesk.rtc.e2ee import E2EEManager
from lkdesk.rtc.e2ee.room_link import RoomEncryption
from lkdesk.rtc.engine import events as ev
from lkdesk.rtc.engine.engine import EngineOptions, RtcEngine
from lkdesk.rtc.local_updates import measure_uplink, update_local
from lkdesk.rtc.participant import LocalParticipant, RemoteParticipant
from lkdesk.rtc.permissions import SubscriptionPermissions
from lkdesk.rtc.publishing import TrackPublisher
from lkdesk.rtc.room_types import CONNECTION_STATES, EventTypes, RoomOptions
from lkdesk.rtc.roster import Roster
from lkdesk.rtc.stats import RtcStats
from lkdesk.rtc.stats_collector import StatsCollector
from lkdesk.rtc.subscriptions import Subscriptions
from lkdesk.rtc.types import ConnectionState

logger = logging.getLogger(__name__)

_RECONNECTING = ConnectionState.CONN_RECONNECTING


class Room(EventEmitter[EventTypes]):
    """A LiveKit room session."""

    def __init__(self) -> None:
        super().__init__()
        self.connection_state = ConnectionState.CONN_DISCONNECTED
        self.local_participant: LocalParticipant | None = None
        self.disconnect_reason: int | None = None
        self._info = proto_models.Room()
        self._options = RoomOptions()
        self._engine = RtcEngine(
            listener=self._on_engine_event,
            on_frame=lambda sid, frame: self._subscriptions.deliver(sid, frame),
            on_data=lambda packet: self._data.on_packet(packet),
            restore=self._restore_after_rejoin,
            closed=self._on_closed,
            sync_state=self._sync_state,
        )
        self._subscriptions = Subscriptions(
            self._engine, emit=self.emit, owner_of=lambda sid: self._roster.owner_of(sid)
        )
        self._roster = Roster(
            emit=self.emit,
            subscriptions=self._subscriptions,
            left=lambda identity: self._data.participant_left(identity),
            auto_subscribe=lambda: self._options.auto_subscribe,
        )
        self._data = RoomData(
            self._engine.data,
            can_publish_data=self._can_publish_data,
            emit=self.emit,
            participant_for=self._participant_by_identity,
            features_of=self._features_of,
            everyone=lambda: list(self._roster.participants),
            own_client_protocol=lambda: self._options.client_protocol,
        )
        self._publisher = TrackPublisher(
            self._engine,
            emit=self.emit,
            permissions=lambda: self._local().permissions,
            participant=self._local,
        )
        self._engine.data.wait_for_audience = self._roster.wait_for_remembered
        self._permissions = SubscriptionPermissions(self._engine.send)
        self._encryption = RoomEncryption(self)
        self._stats = StatsCollector(
            self._engine,
            transceivers=lambda: self._publisher.transceivers,
            track_of=self._subscriptions.track_of,
        )
        self._handlers: dict[type, Callable[[Any], None]] = {
            ev.Joined: self._on_joined,
            ev.SessionLost: self._on_session_lost,
            ev.Resumed: lambda _e: self._subscriptions.resend_track_settings(),
            ev.StateChanged: self._on_state,
            ev.ParticipantsUpdated: lambda e: self._roster.update(
                e.participants, self.local_participant
            ),
            ev.SpeakersChanged: lambda e: self._roster.speakers_changed(e.speakers),
            ev.RoomUpdated: self._on_room_update,
            ev.QualityUpdated: lambda e: self._roster.quality_updated(e.updates),
            ev.TrackBound: self._subscriptions.on_bound,
            ev.LocalMuteRequested: lambda e: self._publisher.on_server_mute(e.track_sid, e.muted),
            ev.LocalUnpublishRequested: self._on_unpublish_requested,
            ev.SubscriptionFailed: lambda e: self._roster.subscription_failed(e.track_sid, e.error),
            ev.SubscriptionPermissionChanged: lambda e: self._roster.permission_changed(
                e.participant_sid, e.track_sid, e.allowed
            ),
            ev.TokenRefreshed: lambda _e: self.emit("token_refreshed"),
            ev.RoomMoved: self._on_moved,
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
    def remote_participants(self) -> dict[str, RemoteParticipant]:
        return self._roster.participants

    @property
    def active_speakers(self) -> list[RemoteParticipant]:
        return self._roster.active_speakers

    @property
    def e2ee_manager(self) -> E2EEManager:
        """End-to-end encryption: the key provider and the frame cryptors."""
        return self._encryption.manager

    @property
    def token(self) -> str:
        """The newest token for this session (the server refreshes it periodically)."""
        return self._engine.token

    def isconnected(self) -> bool:
        return self.connection_state == ConnectionState.CONN_CONNECTED

    async def connect(self, url: str, token: str, options: RoomOptions | None = None) -> None:
        """Join the room. Raises a :class:`ConnectError` subclass naming the cause."""
        if self.connection_state != ConnectionState.CONN_DISCONNECTED:
            raise RoomError("This room is already connected or connecting.")
        self._options = options or RoomOptions()
        self.disconnect_reason = None
        engine_options = EngineOptions(
            join_timeout_s=self._options.join_timeout_s,
            media_timeout_s=self._options.media_timeout_s,
            stun_probe_budget_s=self._options.stun_probe_budget_s,
            trust=self._options.trust,
            client_protocol=self._options.client_protocol,
            single_peer_connection=self._options.single_peer_connection,
        )
        try:
            encryption = self._options.encryption or self._options.e2ee
            await self._encryption.configure(encryption, self._engine, self._publisher)
            await self._engine.connect(url, token, engine_options)
        except BaseException:
            await self._end_models()
            raise
        self.emit("connected")

    def media_routes(self) -> dict[str, str]:
        """lkdesk's own (not in livekit.rtc): how media reaches the server right now.

        ``{"subscriber": ..., "publisher": ..., "relay_offered": ...}`` with "udp", "tcp"
        (ICE-TCP), "turn/udp", "turn/tcp" or "turn/tls"; "" while not connected.
        """
        return self._engine.media_routes()

    async def measure_rtt(self, timeout_s: float = 3.0) -> float:
        """lkdesk's own: one signalling round trip to the server now, in seconds."""
        return await self._engine.ping(timeout_s)

    async def measure_uplink(self, total_bytes: int = 1_000_000, timeout_s: float = 8.0) -> float:
        """lkdesk's own: bits per second the server acknowledged of reliable data we sent
        (see :func:`lkdesk.rtc.local_updates.measure_uplink`)."""
        return await measure_uplink(self._local(), self._engine.data, total_bytes, timeout_s)

    async def disconnect(self) -> None:
        """Leave the room; every task, socket and decoder thread is stopped."""
        await self._engine.close(proto_models.DisconnectReason.CLIENT_INITIATED, send_leave=True)

    async def get_rtc_stats(self) -> RtcStats:
        """Statistics of both peer connections, in the official SDK's shape (see rtc.stats)."""
        if not self.isconnected():
            raise RoomError("Not connected to a room.")
        return await self._stats.collect()

    def register_text_stream_handler(self, topic: str, handler: Any) -> None:
        """Call ``handler(reader, participant_identity)`` for each text stream on ``topic``.

        ``lk.transcription`` is taken by the room (``transcription_received``); unregister it
        first to read those streams yourself.
        """
        self._data.streams.register_text(topic, handler)

    def unregister_text_stream_handler(self, topic: str) -> None:
        self._data.streams.unregister_text(topic)

    def register_byte_stream_handler(self, topic: str, handler: Any) -> None:
        """Call ``handler(reader, participant_identity)`` for each byte stream on ``topic``."""
        self._data.streams.register_byte(topic, handler)

    def unregister_byte_stream_handler(self, topic: str) -> None:
        self._data.streams.unregister_byte(topic)

    # ----- helpers for the models ----------------------------------------------------------

    def _local(self) -> LocalParticipant:
        if self.local_participant is None:
            raise RoomError("Not connected to a room.")
        return self.local_participant

    def _participant_by_identity(self, identity: str) -> Any:
        if self.local_participant is not None and identity == self.local_participant.identity:
            return self.local_participant
        return self._roster.participants.get(identity)

    def _features_of(self, identity: str) -> PeerFeatures | None:
        participant = self._roster.participants.get(identity)
        return None if participant is None else PeerFeatures.of(participant.info)

    def _can_publish_data(self) -> bool:
        local = self.local_participant
        return local is not None and local.permissions.can_publish_data

    async def _update_local(
        self,
        *,
        name: str | None = None,
        metadata: str | None = None,
        attributes: dict[str, str] | None = None,
    ) -> None:
        if not self.isconnected():
            raise RoomError("Not connected to a room.")
        await update_local(self._engine, self._local(), name, metadata, attributes)

    # ----- engine events ------------------------------------------------------------------------

    def _on_engine_event(self, event: ev.EngineEvent) -> None:
        self._handlers[type(event)](event)

    def _on_joined(self, event: ev.Joined) -> None:
        join = event.join
        self._stats.session_started()
        self._info = join.room
        others = list(join.other_participants)
        if self.local_participant is None or not event.rejoin:
            self.local_participant = LocalParticipant(
                join.participant,
                publisher=self._publisher,
                data=self._data,
                updater=self._update_local,
                permissions=self._permissions,
            )
            self._roster.joined(others)
            return
        self._roster.emit_all(self.local_participant.rejoined(join.participant))
        self._roster.rejoined(others)
        self._subscriptions.rejoined(list(self._roster.participants.values()))
        self._roster.subscribe_all()

    def _on_state(self, event: ev.StateChanged) -> None:
        state = CONNECTION_STATES[event.state]
        if state == self.connection_state:
            return
        previous, self.connection_state = self.connection_state, state
        self.emit("connection_state_changed", state)
        if state == ConnectionState.CONN_RECONNECTING:
            self.emit("reconnecting")
        elif state == ConnectionState.CONN_CONNECTED and previous == _RECONNECTING:
            self.emit("reconnected")
        elif state == ConnectionState.CONN_DISCONNECTED:
            self.disconnect_reason = event.reason

    def _on_session_lost(self, _event: ev.SessionLost) -> None:
        """A full rejoin follows: the old session's tracks, media and streams end."""
        self._roster.remember_present()
        self._publisher.session_ended()
        self._subscriptions.session_ended()
        self._data.session_ended()

    async def _on_closed(self, reason: int) -> None:
        await self._end_models()
        self.emit("disconnected", reason)

    def _sync_state(self) -> proto_rtc.SyncState:
        """The models' part of a resume's SyncState (PROTOCOL_NOTES §6.2)."""
        wanted, disabled = self._subscriptions.sync()
        state = proto_rtc.SyncState(
            subscription=proto_rtc.UpdateSubscription(track_sids=wanted, subscribe=True),
            track_sids_disabled=disabled,
        )
        for cid, info in self._publisher.published_infos():
            state.publish_tracks.add(cid=cid, track=info)
        return state

    async def _restore_after_rejoin(self) -> None:
        self._permissions.resend()
        await self._publisher.republish()

    def _on_room_update(self, event: ev.RoomUpdated) -> None:
        old = self._info.metadata
        self._info = event.room
        if old != event.room.metadata:
            self.emit("room_metadata_changed", old, event.room.metadata)

    def _on_moved(self, event: ev.RoomMoved) -> None:
        """Moved to another room: the old room's people leave, ``moved``, the new ones arrive;
        our publications and peer connections stay (events in livekit-client's order)."""
        self._info = event.room
        local = self.local_participant
        if local is not None and event.participant is not None:
            self._roster.emit_all(local.rejoined(event.participant))
        for participant in list(self._roster.participants.values()):
            self._roster.remove(participant)
        self.emit("moved")
        for info in event.others:
            self._roster.apply(info)
        self._subscriptions.retry_bound()

    def _on_unpublish_requested(self, event: ev.LocalUnpublishRequested) -> None:
        self._engine.spawn(self._publisher.on_server_unpublished(event.track_sid), "unpublish")

    async def _end_models(self) -> None:
        """The room ended (or never began): tracks end, handlers stay registered."""
        self._publisher.close()
        self._subscriptions.close()
        await self._data.close()
        await self._encryption.close()


__all__ = ["ConnectError", "Room", "RoomOptions"]

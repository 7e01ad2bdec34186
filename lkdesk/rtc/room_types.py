"""The room's option and event names, as in ``livekit.rtc`` (kept apart from room.py so the
façade stays short)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lkdesk.core.tls import ServerTrust
from lkdesk.rtc.e2ee import E2EEOptions
from lkdesk.rtc.engine import events as ev
from lkdesk.rtc.engine import ice
from lkdesk.rtc.engine import signal_protocol as sp
from lkdesk.rtc.types import ConnectionState

EventTypes = Literal[
    "data_received",
    "sip_dtmf_received",
    "transcription_received",
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
    "track_subscription_permission_changed",
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
    "moved",
    "participant_encryption_status_changed",
    "e2ee_state_changed",
    "unencrypted_data_received",  # lkdesk's own: (participant) in an encrypted room
]


CONNECTION_STATES = {
    ev.LinkState.CONNECTING: ConnectionState.CONN_CONNECTING,
    ev.LinkState.CONNECTED: ConnectionState.CONN_CONNECTED,
    ev.LinkState.RECONNECTING: ConnectionState.CONN_RECONNECTING,
    ev.LinkState.DISCONNECTED: ConnectionState.CONN_DISCONNECTED,
}


@dataclass(frozen=True, slots=True)
class RoomOptions:
    """How to join. ``auto_subscribe`` subscribes to every track lkdesk can decode.

    ``trust`` adds the CA the user trusts for this server to the system's trust store, for
    ``wss://`` signalling and TURN over TLS. ``encryption`` turns end-to-end encryption on
    (``e2ee`` is the SDK's deprecated name for it). ``client_protocol`` is the data feature level
    announced to the other participants (2: RPC over streams and data streams v2); a lower
    one makes lkdesk behave like an older client, which only tests need.
    ``single_peer_connection`` (the official SDK's name): True joins with one peer
    connection for both directions (``/rtc/v1``; a server without it gets two PCs), False
    with two (``/rtc``); None leaves it to lkdesk's default.
    """

    auto_subscribe: bool = True
    join_timeout_s: float = 10.0
    media_timeout_s: float = 15.0
    stun_probe_budget_s: float = ice.STUN_PROBE_BUDGET_S
    trust: ServerTrust = field(default_factory=ServerTrust)
    client_protocol: int = sp.CLIENT_PROTOCOL
    encryption: E2EEOptions | None = None
    e2ee: E2EEOptions | None = None
    single_peer_connection: bool | None = None


__all__ = ["CONNECTION_STATES", "EventTypes", "RoomOptions"]

"""The SyncState a resume sends: what this client still has of the session (§6.2).

The room's models give the published tracks, subscriptions and paused tracks; the engine adds
the last subscriber offer and answer, the data channels of both peer connections and the
newest reliable sequence received from each sender.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from livekit.protocol import rtc as proto_rtc

from lkdesk.rtc.engine.signal_session import SignalSession

if TYPE_CHECKING:
    from lkdesk.rtc.engine.data_transport import DataTransport
    from lkdesk.rtc.engine.publisher import PublisherConnection
    from lkdesk.rtc.engine.subscriber import SubscriberConnection


def build_sync_state(
    models: proto_rtc.SyncState,
    session: SignalSession,
    publisher: PublisherConnection | None,
    subscriber: SubscriberConnection | None,
    data: DataTransport,
) -> proto_rtc.SyncState:
    """``models`` completed with the engine's part."""
    state = proto_rtc.SyncState()
    state.CopyFrom(models)
    if session.last_subscriber_answer is not None:
        state.answer.CopyFrom(session.last_subscriber_answer)
    if session.last_subscriber_offer is not None:
        state.offer.CopyFrom(session.last_subscriber_offer)
    channels = []
    if publisher is not None:
        channels += [(c, proto_rtc.PUBLISHER) for c in (publisher.reliable, publisher.lossy)]
    if subscriber is not None:
        channels += [(c, proto_rtc.SUBSCRIBER) for c in subscriber.data_channels]
    for channel, target in channels:
        if channel.id is not None:
            state.data_channels.add(label=channel.label, id=channel.id, target=target)
    for sender, last in data.receive_states().items():
        state.datachannel_receive_states.add(publisher_sid=sender, last_seq=last)
    return state

"""A resume's SyncState carries the models' part plus the engine's (channels, exchanges)."""

from __future__ import annotations

from types import SimpleNamespace

from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk.rtc.engine.signal_session import SignalSession
from lkdesk.rtc.engine.sync_state import build_sync_state


def test_sync_state_lists_tracks_subscriptions_channels_and_the_last_exchange() -> None:
    models = proto_rtc.SyncState(
        subscription=proto_rtc.UpdateSubscription(track_sids=["TR_a"], subscribe=True),
        track_sids_disabled=["TR_a"],
    )
    models.publish_tracks.add(cid="cid-1", track=proto_models.TrackInfo(sid="TR_mine"))
    session = SignalSession(participant_sid="PA_me")
    session.subscriber_offer(proto_rtc.SessionDescription(type="offer", sdp="o", id=3))
    session.subscriber_answer(proto_rtc.SessionDescription(type="answer", sdp="a", id=3))
    channel = lambda label, cid: SimpleNamespace(label=label, id=cid)  # noqa: E731
    publisher = SimpleNamespace(reliable=channel("_reliable", 1), lossy=channel("_lossy", 3))
    subscriber = SimpleNamespace(data_channels=[channel("_reliable", 0), channel("x", None)])
    data = SimpleNamespace(receive_states=lambda: {"PA_peer": 42})

    state = build_sync_state(models, session, publisher, subscriber, data)  # type: ignore[arg-type]

    assert (state.offer.sdp, state.answer.sdp, state.answer.id) == ("o", "a", 3)
    assert [(t.cid, t.track.sid) for t in state.publish_tracks] == [("cid-1", "TR_mine")]
    assert list(state.subscription.track_sids) == ["TR_a"] and state.subscription.subscribe
    assert list(state.track_sids_disabled) == ["TR_a"]
    assert [(c.label, c.id, c.target) for c in state.data_channels] == [
        ("_reliable", 1, proto_rtc.PUBLISHER),
        ("_lossy", 3, proto_rtc.PUBLISHER),
        ("_reliable", 0, proto_rtc.SUBSCRIBER),
    ]
    assert [(s.publisher_sid, s.last_seq) for s in state.datachannel_receive_states] == [
        ("PA_peer", 42)
    ]
    assert not models.data_channels  # the models' message is left as it was

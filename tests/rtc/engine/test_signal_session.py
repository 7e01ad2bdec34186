"""The sans-I/O signalling session: keepalive, RTT, request ids and what a resume needs."""

from __future__ import annotations

from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk.rtc.engine.signal_session import SignalSession


def _join(**fields: int) -> proto_rtc.JoinResponse:
    return proto_rtc.JoinResponse(participant=proto_models.ParticipantInfo(sid="PA_me"), **fields)


def test_keepalive_follows_the_servers_interval_and_timeout() -> None:
    session = SignalSession.from_join(_join(ping_interval=3, ping_timeout=9), now_s=100.0)
    assert (session.participant_sid, session.ping_interval_s, session.ping_timeout_s) == (
        "PA_me",
        3.0,
        9.0,
    )
    assert not session.is_silent(108.9)
    assert session.is_silent(109.1)
    session.received(109.0)  # any message is a sign of life
    assert not session.is_silent(117.0)


def test_defaults_when_the_server_gives_no_keepalive_figures() -> None:
    session = SignalSession.from_join(_join(), now_s=0.0)
    assert (session.ping_interval_s, session.ping_timeout_s) == (5.0, 15.0)


def test_pong_measures_rtt_and_the_next_ping_reports_it() -> None:
    session = SignalSession.from_join(_join(), now_s=0.0)
    session.on_pong(proto_rtc.Pong(last_ping_timestamp=1_000), now_ms=1_042)
    ping = session.ping(now_ms=2_000)
    assert (ping.ping_req.timestamp, ping.ping_req.rtt) == (2_000, 42)
    session.on_pong(proto_rtc.Pong(last_ping_timestamp=5_000), now_ms=4_000)  # clock skew
    assert session.rtt_ms == 0


def test_request_ids_increase_and_the_last_subscriber_exchange_is_kept() -> None:
    session = SignalSession.from_join(_join(), now_s=0.0)
    assert [session.next_request_id() for _ in range(3)] == [1, 2, 3]
    offer = proto_rtc.SessionDescription(type="offer", sdp="o", id=7)
    answer = proto_rtc.SessionDescription(type="answer", sdp="a", id=7)
    session.subscriber_offer(offer)
    session.subscriber_answer(answer)
    assert (session.last_subscriber_offer, session.last_subscriber_answer) == (offer, answer)

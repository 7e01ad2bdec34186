"""Sans-I/O state of one LiveKit signalling session: keepalive, RTT, request ids, resume state.

No sockets and no event loop here: the WebSocket pump (signal_client.py) feeds it times and
messages and asks it what to send, so every rule below is tested with plain values.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from livekit.protocol import rtc as proto_rtc

from lkdesk.rtc.engine import signal_protocol as sp

DEFAULT_PING_INTERVAL_S = 5.0
DEFAULT_PING_TIMEOUT_S = 15.0


@dataclass
class SignalSession:
    """What one signalling session knows about itself.

    ``participant_sid`` and the last subscriber offer/answer are what a resume sends back
    (PROTOCOL_NOTES §6.2); ``rtt_ms`` is measured by ping/pong and reported in each ping.
    """

    participant_sid: str
    ping_interval_s: float = DEFAULT_PING_INTERVAL_S
    ping_timeout_s: float = DEFAULT_PING_TIMEOUT_S
    rtt_ms: int = 0
    last_pong_for_ms: int = 0  # the ping timestamp the last pong answered
    last_received_s: float = 0.0
    last_subscriber_offer: proto_rtc.SessionDescription | None = None
    last_subscriber_answer: proto_rtc.SessionDescription | None = None
    _request_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def from_join(cls, join: proto_rtc.JoinResponse, now_s: float) -> SignalSession:
        return cls(
            participant_sid=join.participant.sid,
            ping_interval_s=float(join.ping_interval or DEFAULT_PING_INTERVAL_S),
            ping_timeout_s=float(join.ping_timeout or DEFAULT_PING_TIMEOUT_S),
            last_received_s=now_s,
        )

    def received(self, now_s: float) -> None:
        """Any message counts as a sign of life (as livekit-client does)."""
        self.last_received_s = now_s

    def is_silent(self, now_s: float) -> bool:
        """True when nothing arrived for longer than the server's ping timeout."""
        return now_s - self.last_received_s > self.ping_timeout_s

    def ping(self, now_ms: int) -> proto_rtc.SignalRequest:
        """The keepalive to send now, carrying the last measured round-trip time."""
        return sp.ping_request(now_ms, self.rtt_ms)

    def on_pong(self, pong: proto_rtc.Pong, now_ms: int) -> None:
        self.rtt_ms = max(0, now_ms - pong.last_ping_timestamp)
        self.last_pong_for_ms = pong.last_ping_timestamp

    def next_request_id(self) -> int:
        """Ids for requests the server answers with a RequestResponse."""
        return next(self._request_ids)

    def subscriber_offer(self, offer: proto_rtc.SessionDescription) -> None:
        self.last_subscriber_offer = offer

    def subscriber_answer(self, answer: proto_rtc.SessionDescription) -> None:
        self.last_subscriber_answer = answer

"""What SCTP has not delivered: so no reliable data packet is lost to a reconnect."""

from __future__ import annotations

from typing import Any

_SCTP_DCEP = 50  # DCEP control messages share the stream; they are not user data
_SCTP_LAST_FRAGMENT = 0x01


def undelivered_messages(channel: Any) -> int:
    """How many of the newest user messages sent on ``channel`` the peer has not acknowledged.

    On a reliable ordered channel SCTP acknowledges cumulatively, so the unacknowledged
    messages are always the newest ones: those still queued for the channel plus those whose
    last fragment is queued or in flight above the cumulative acknowledgement. Chunks acked
    only by a gap block are not yet delivered in order, so they count as undelivered.
    """
    sctp = channel.transport
    stream = channel.id
    queued = sum(
        1
        for queued_channel, protocol, _ in sctp._data_channel_queue
        if queued_channel is channel and protocol != _SCTP_DCEP
    )
    in_flight = sum(
        1
        for chunks in (sctp._sent_queue, sctp._outbound_queue)
        for chunk in chunks
        if chunk.stream_id == stream
        and chunk.protocol != _SCTP_DCEP
        and chunk.flags & _SCTP_LAST_FRAGMENT
    )
    return int(queued + in_flight)

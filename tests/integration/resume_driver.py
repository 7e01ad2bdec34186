"""Test-only: resume a connected lkdesk ``Room`` the way LiveKit clients do, with ICE restarts.

lkdesk's ``Room`` can only rejoin from scratch so far; the engine will put the ICE-restart
adaptation (lkdesk/rtc/engine/adapt/ice_restart.py) into its own resume path. This driver
does the same from the outside, to prove the adaptation against the real server
(PROTOCOL_NOTES §6):

1. it keeps the Room from noticing that signalling ends (the Room would rejoin fully);
2. it reopens signalling on the Room's own ``SignalClient`` with ``reconnect=1&sid=PA_…``
   and expects a ``ReconnectResponse`` first;
3. the server then always re-offers the subscriber PC with new ICE credentials: the driver
   wraps the subscriber's ``answer`` so that a restart offer goes through
   ``IceRestarter.prepare()`` before, and ``start()`` after, lkdesk's usual answer;
4. it ICE-restarts the publisher PC (``prepare()``, lkdesk's own ``negotiate()``,
   ``start()``), like the JS SDK's ``triggerIceRestart``.

No SyncState is sent: with the DTLS and SCTP sessions kept nothing needs re-syncing, and the
server does not ask for it (it is only read to *decide* on a full reconnect).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

from lkdesk.rtc import signal_protocol as sp
from lkdesk.rtc.engine.adapt.ice_restart import IceRestarter, IceRestartResult
from lkdesk.rtc.room import Room
from lkdesk.rtc.signal_client import SignalClient

_log = logging.getLogger(__name__)

RESUME_TIMEOUT_S = 15.0
PING_INTERVAL_S = 5
PING_TIMEOUT_S = 15


@dataclass(frozen=True)
class ResumeReport:
    """Timings of one resume (seconds from the start of :meth:`ResumeDriver.resume`)."""

    reconnect_response_s: float
    subscriber_offer_s: float
    subscriber_restart: IceRestartResult
    publisher_restart: IceRestartResult | None
    total_s: float
    last_message_seq: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ResumeDriver:
    """Resumes ``room``'s session; create it once the room is connected (and publishing)."""

    def __init__(self, room: Room) -> None:
        subscriber = room._subscriber
        assert subscriber is not None, "the room is not connected"
        self._room = room
        self.subscriber_restarter = IceRestarter(subscriber._pc)
        self.publisher_restarter: IceRestarter | None = None
        self._restart_offer = asyncio.Event()
        self._offer_at = 0.0
        self._lkdesk_answer = subscriber.answer
        subscriber.answer = self._answer  # type: ignore[method-assign]

    @property
    def _signal(self) -> SignalClient:
        signal = self._room._signal
        assert signal is not None
        return signal

    def hold_signal(self) -> None:
        """From now on the Room does not notice signalling ending: this driver resumes it."""
        self._signal._closed_reported = True

    async def resume(self) -> ResumeReport:
        """Reopen signalling as a resume; answer the restart offer; restart the publisher."""
        room = self._room
        signal = self._signal
        assert room.local_participant is not None
        started = time.monotonic()
        self.hold_signal()
        old, signal._ws = signal._ws, None
        if old is not None:
            old.transport.abort()  # a dead socket: no closing handshake to wait for
        await signal._abort()  # its reader, writer and pinger
        self._restart_offer.clear()
        options = sp.JoinOptions(reconnect=True, participant_sid=room.local_participant.sid)
        async with asyncio.timeout(RESUME_TIMEOUT_S):
            ws = await signal._open(sp.build_join_url(room._url, options), room._token)
            first = sp.decode_response(await ws.recv())
        kind = first.WhichOneof("message")
        if kind != "reconnect":
            await ws.close()
            raise AssertionError(f"the server answered the resume with {kind!r}: {first}")
        reconnected = time.monotonic()
        self._reattach(signal, ws)
        async with asyncio.timeout(RESUME_TIMEOUT_S):
            await self._restart_offer.wait()
        publisher = room._local_media.connection if room._local_media is not None else None
        publisher_result: IceRestartResult | None = None
        if publisher is not None:
            if self.publisher_restarter is None:
                self.publisher_restarter = IceRestarter(publisher._pc)
            await self.publisher_restarter.prepare()
            await publisher.negotiate()
            self.publisher_restarter.start()
            publisher_result = await self.publisher_restarter.wait()
        subscriber_result = await self.subscriber_restarter.wait()
        report = ResumeReport(
            reconnect_response_s=reconnected - started,
            subscriber_offer_s=self._offer_at - started,
            subscriber_restart=subscriber_result,
            publisher_restart=publisher_result,
            total_s=time.monotonic() - started,
            last_message_seq=first.reconnect.last_message_seq,
        )
        _log.info("resumed: %s", report)
        return report

    def _reattach(self, signal: SignalClient, ws: Any) -> None:
        """Put the new socket under the Room's SignalClient, as its join() would have."""
        signal._ws = ws
        signal._closing = False
        signal._closed_reported = True  # still held: a test may drop it again
        signal._last_received = time.monotonic()
        signal._tasks += [
            asyncio.create_task(signal._read_loop(), name="lkdesk-signal-reader"),
            asyncio.create_task(signal._write_loop(), name="lkdesk-signal-writer"),
            asyncio.create_task(
                signal._ping_loop(PING_INTERVAL_S, PING_TIMEOUT_S), name="lkdesk-signal-pinger"
            ),
        ]

    async def _answer(self, offer_sdp: str, mid_to_track_id: dict[str, str]) -> Any:
        restarter = self.subscriber_restarter
        restart = restarter.is_restart(offer_sdp)
        if restart:
            self._offer_at = time.monotonic()
            await restarter.prepare()
        result = await self._lkdesk_answer(offer_sdp, mid_to_track_id)
        if restart:
            restarter.start()
            self._restart_offer.set()
        return result

    async def aclose(self) -> None:
        await self.subscriber_restarter.aclose()
        if self.publisher_restarter is not None:
            await self.publisher_restarter.aclose()

"""Uplink adaptation for one publisher connection: estimate, share out, pace.

:class:`UplinkController` owns the connection's pacer and bandwidth estimate. It reads the
server's TWCC feedback from the raw RTCP (aiortc parses RTPFB FMT 15 as a NACK and throws
the deltas away, so the DTLS transport's ``_handle_rtcp_data`` is wrapped on the instance:
feedback is copied out, then aiortc handles the packet as before), feeds the estimate, and
every 200 ms shares the target among lkdesk's video senders. Audio is sent unpaced by
aiortc and never waits for video; its rate (aiortc's counters) is reported, not budgeted:
the estimate only sees video packets and already leaves audio its room. It also decides
when to probe for more bandwidth.

Without TWCC (a server that did not accept the extension) there is no estimate: the
senders get their maximum, as before this module existed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiortc
from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.rtcdtlstransport import RTCDtlsTransport

from lkdesk.rtc.engine.adapt._pins import (
    SUPPORTED_AIORTC,
    require_attributes,
    require_names,
    require_version,
)
from lkdesk.rtc.engine.congestion import twcc
from lkdesk.rtc.engine.congestion.pacer import OVERHEAD, Outgoing, Pacer
from lkdesk.rtc.engine.congestion.rate_control import RateController

logger = logging.getLogger(__name__)

START_BPS = 800_000
MIN_BPS = 100_000
CONTROL_S = 0.2
PACING_FACTOR = 1.5
MIN_PACING_BPS = 200_000
AUDIO_FLOOR_BPS = 40_000
PROBE_EVERY_S = 3.0
PROBE_AGAIN_S = 0.5  # after a probe that found room: look for more soon
PROBE_FORGIVE_S = 5.0
PROBE_RECHECK_S = 0.5
PROBE_RESULT_AFTER_S = 1.0
RTX_SHARE = 0.3
_OCTETS = "_RTCRtpSender__octet_count"
_PACKETS = "_RTCRtpSender__packet_count"


def check_compatible() -> None:
    """Fail loudly if aiortc changed what the tap and the audio meter read."""
    require_version(aiortc, SUPPORTED_AIORTC)
    require_names(
        "aiortc RTCDtlsTransport._recv_next", RTCDtlsTransport._recv_next, ("_handle_rtcp_data",)
    )
    require_attributes(
        "aiortc RTCDtlsTransport",
        RTCDtlsTransport,
        ("_handle_rtcp_data", "_send_rtp", "_register_rtp_sender", "_unregister_rtp_sender"),
    )
    require_names("aiortc RTCRtpSender.__init__", RTCRtpSender.__init__, (_OCTETS, _PACKETS))
    require_names(
        "aiortc RTCDtlsTransport._register_rtp_sender",
        RTCDtlsTransport._register_rtp_sender,
        ("_rtp_router", "register_sender"),
    )


class VideoSender(Protocol):
    """What the controller needs from a video sender (video_sender.LayeredVideoSender)."""

    @property
    def transport_cc(self) -> bool: ...

    def max_bps(self) -> int: ...

    def min_bps(self) -> int: ...

    def apply_budget(self, bps: int) -> None: ...

    def padding(self, size: int) -> Outgoing | None: ...


class UplinkController:
    """The congestion control of one publisher ``RTCPeerConnection``."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self._pc = pc
        self.history = twcc.SendHistory()
        self.rate = RateController(START_BPS, MIN_BPS, START_BPS)
        self.pacer = Pacer(self.history, self._padding, self._probe_sent)
        self._senders: list[VideoSender] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._tapped: RTCDtlsTransport | None = None
        self._audio_seen: dict[int, tuple[float, int]] = {}
        self.audio_bps = 0
        self.video_budget_bps = 0
        self._probes: dict[int, tuple[float, list[tuple[int, int]]]] = {}
        self._next_probe_at = 0.0
        self._last_max = 0
        self.feedbacks = 0
        self._rtt_s = 0.1
        self._rtx_sent: deque[tuple[float, int]] = deque()
        self._rtx_bytes = 0
        self.rtx_refused = 0
        self.probe_results: list[tuple[int, int]] = []  # (cluster, measured bps)

    # ----- senders ---------------------------------------------------------------------------

    def add_sender(self, sender: VideoSender) -> None:
        self._senders.append(sender)
        self._tap(self._dtls_transport())
        if not self._tasks:
            loop = asyncio.get_running_loop()
            self._tasks = [
                loop.create_task(self.pacer.run(), name="uplink-pacer"),
                loop.create_task(self._control(), name="uplink-control"),
            ]
            self._next_probe_at = time.monotonic() + PROBE_AGAIN_S
        self.reallocate()

    def remove_sender(self, sender: VideoSender) -> None:
        with contextlib.suppress(ValueError):
            self._senders.remove(sender)
        self.reallocate()

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    @property
    def estimating(self) -> bool:
        return any(s.transport_cc for s in self._senders)

    def set_rtt(self, rtt_s: float) -> None:
        self._rtt_s = rtt_s
        self.rate.set_rtt(rtt_s)

    def rtt_s(self) -> float:
        return self._rtt_s

    def allow_retransmission(self, size: int) -> bool:
        """Whether a retransmission fits the budget: at most 30 % of the target over the
        last second. After congestion the server asks for everything that was lost;
        resending it all at once into the same full queue only loses more (audio too)."""
        now = time.monotonic()
        while self._rtx_sent and now - self._rtx_sent[0][0] > 1.0:
            self._rtx_bytes -= self._rtx_sent.popleft()[1]
        if (self._rtx_bytes + size) * 8 > RTX_SHARE * max(self.rate.target_bps, MIN_BPS):
            self.rtx_refused += 1
            return False
        self._rtx_sent.append((now, size))
        self._rtx_bytes += size
        return True

    # ----- the RTCP tap ------------------------------------------------------------------------

    def _dtls_transport(self) -> RTCDtlsTransport | None:
        if self._pc.sctp is not None:
            transport: RTCDtlsTransport = self._pc.sctp.transport
            return transport
        senders = self._pc.getSenders()
        return senders[0].transport if senders else None

    def _tap(self, transport: RTCDtlsTransport | None) -> None:
        if transport is None or transport is self._tapped:
            return
        self._tapped = transport
        original: Callable[[bytes], Awaitable[None]] = transport._handle_rtcp_data

        async def handle_rtcp_data(data: bytes) -> None:
            for body in twcc.feedback_bodies(data):
                self._on_feedback(body)
            await original(data)

        setattr(transport, "_handle_rtcp_data", handle_rtcp_data)  # noqa: B010 - on the instance

    def _on_feedback(self, body: bytes) -> None:
        try:
            feedback = twcc.parse_feedback(body)
        except twcc.TwccError as exc:
            logger.debug("ignoring a TWCC feedback: %s", exc)
            return
        self.feedbacks += 1
        results = self.history.match(feedback)
        if results:
            before = self.rate.target_bps
            after = self.rate.on_results(results, time.monotonic_ns() // 1000).target_bps
            if abs(after - before) > 0.05 * before:
                self.reallocate()

    # ----- sharing out -------------------------------------------------------------------------

    def _measure_audio(self) -> None:
        now = time.monotonic()
        total = 0
        for sender in self._pc.getSenders():
            if sender.kind != "audio" or sender.track is None:
                continue
            wire = getattr(sender, _OCTETS, 0) + OVERHEAD * getattr(sender, _PACKETS, 0)
            seen = self._audio_seen.get(id(sender))
            self._audio_seen[id(sender)] = (now, wire)
            rate = AUDIO_FLOOR_BPS
            if seen is not None and now > seen[0]:
                rate = max(int((wire - seen[1]) * 8 / (now - seen[0])), AUDIO_FLOOR_BPS)
            total += rate
        self.audio_bps = total

    def reallocate(self) -> None:
        """Share the current target among the video senders.

        TWCC covers video packets only (the server reads the extension on video streams),
        so the estimate is the room left for video: audio, sent unpaced beside it, is part
        of the queue the estimate keeps from growing, and video backs off until it fits.
        """
        wanted = [s.max_bps() for s in self._senders]
        ceiling = sum(wanted)
        if not self.estimating:
            for sender, top in zip(self._senders, wanted, strict=True):
                sender.apply_budget(top)
            self.video_budget_bps = ceiling
            self.pacer.rate_bps = max(int(ceiling * PACING_FACTOR), MIN_PACING_BPS)
            return
        self.rate.set_bounds(MIN_BPS, ceiling)
        budget = self.rate.target_bps
        self.video_budget_bps = budget
        self.pacer.rate_bps = max(int(budget * PACING_FACTOR), MIN_PACING_BPS)
        for sender, top in zip(self._senders, wanted, strict=True):
            share = int(budget * top / ceiling) if ceiling else 0
            sender.apply_budget(max(share, min(sender.min_bps(), budget)))
        if ceiling > self._last_max * 1.2:  # more is wanted (a layer came back): look
            self._next_probe_at = min(self._next_probe_at, time.monotonic() + 0.5)
        self._last_max = ceiling

    # ----- probing ---------------------------------------------------------------------------

    def _padding(self, size: int) -> Outgoing | None:
        for sender in self._senders:
            packet = sender.padding(size)
            if packet is not None:
                return packet
        return None

    def _probe_sent(self, cluster: int, sent: list[tuple[int, int]]) -> None:
        self._probes[cluster] = (time.monotonic(), sent)

    def _maybe_probe(self, now: float) -> None:
        if not self.estimating or self.pacer.probing or now < self._next_probe_at:
            return
        rate = self.rate
        target, ceiling = rate.target_bps, rate.max_bps
        now_us = now * 1e6
        if rate.probe_failures and now_us - rate.last_overuse_us > PROBE_FORGIVE_S * 1e6:
            rate.probe_failures = 0  # quiet for a while: the path may have changed
        # A probe whose finding did not hold (a shaper's burst allowance passes a short
        # burst at full speed) is not repeated soon: 3 s, then 6, 12, 24.
        interval = PROBE_EVERY_S * 2 ** min(rate.probe_failures, 3)
        recent_overuse = now_us - rate.last_overuse_us < interval * 1e6
        if target >= 0.9 * ceiling or recent_overuse or not rate.loss_allows_increase():
            # Look again soon: a probe that waits a whole interval after the hold-off
            # ends leaves a freed uplink unused for seconds (the check itself is cheap).
            self._next_probe_at = now + PROBE_RECHECK_S
            return
        if self.pacer.backlog_s() > 0.05:
            return
        self.pacer.probe(min(2 * target, ceiling))
        self._next_probe_at = now + interval

    def _finish_probes(self, now: float) -> None:
        for cluster, (at, sent) in list(self._probes.items()):
            if now - at < PROBE_RESULT_AFTER_S:
                continue
            del self._probes[cluster]
            before = self.rate.target_bps
            measured = self.rate.probe_result(cluster, sent)
            if measured is None:
                continue
            self.probe_results.append((cluster, measured))
            logger.debug("probe %d measured %d bps (estimate was %d)", cluster, measured, before)
            if self.rate.target_bps > before:
                self._next_probe_at = now + PROBE_AGAIN_S
                self.reallocate()

    async def _control(self) -> None:
        while True:
            await asyncio.sleep(CONTROL_S)
            now = time.monotonic()
            self._measure_audio()
            self._finish_probes(now)
            self._maybe_probe(now)
            self.reallocate()

    def stats(self) -> dict[str, Any]:
        return {
            "estimating": self.estimating,
            "target_bps": self.rate.target_bps,
            "video_budget_bps": self.video_budget_bps,
            "audio_bps": self.audio_bps,
            "pacing_bps": self.pacer.rate_bps,
            "backlog_s": self.pacer.backlog_s(),
            "sent_bytes": self.pacer.sent_bytes,
            "padding_bytes": self.pacer.padding_bytes,
            "feedbacks": self.feedbacks,
            "rtt_s": self._rtt_s,
            "rtx_refused": self.rtx_refused,
            "probes": list(self.probe_results[-5:]),
        }

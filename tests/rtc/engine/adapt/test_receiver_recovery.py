"""Video recovery on a real aiortc receiver fed real VP8 RTP packets (no network).

A scripted sender encodes numbered grey frames with aiortc's VP8 encoder, packetises them
and hands the packets to the receiver as its DTLS transport would. It answers a PLI with a
keyframe, like a real sender. The receiver's RTCP (PLI/NACK) is captured instead of sent.
"""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace

import av
import numpy as np
import pytest
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsTransport
from aiortc.rtcicetransport import RTCIceGatherer, RTCIceTransport
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpDecodingParameters,
    RTCRtpReceiveParameters,
)
from aiortc.rtcrtpreceiver import RemoteStreamTrack, RTCRtpReceiver
from aiortc.rtp import RtpPacket

from lkdesk.rtc.engine.adapt import receiver_recovery
from lkdesk.rtc.engine.adapt.frame_assembler import KEYFRAME_REQUEST_INTERVAL_S
from lkdesk.rtc.engine.adapt.receiver_recovery import install_video_recovery
from lkdesk.rtc.engine.adapt.receivers import rebind_receiver

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)


def _reuse_m_line(receiver: RTCRtpReceiver, ssrc: int) -> bool:
    """lkdesk's own m-line rebinding (adapt/receivers.py)."""
    transceiver = SimpleNamespace(receiver=receiver, _codecs=[VP8])
    return rebind_receiver(transceiver, ssrc=ssrc, rtx_ssrc=None)


MEDIA_SSRC = 5678
FRAME_S = 1 / 30
DECODE_WAIT_S = 5.0


@dataclass
class Feedback:
    plis: list[float] = field(default_factory=list)
    nacks: list[list[int]] = field(default_factory=list)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Sender:
    """Encodes frame n as a solid grey of level ``level(n)``; keyframe on request."""

    def __init__(self, ssrc: int = MEDIA_SSRC) -> None:
        self.encoder = Vp8Encoder()
        self.ssrc = ssrc
        self.seq = 1000
        self.frame_no = 0
        self.want_keyframe = False

    @staticmethod
    def level(frame_no: int) -> int:
        return 20 + (frame_no * 7) % 200

    def next_frame(self) -> list[RtpPacket]:
        image = np.full((240, 320, 3), self.level(self.frame_no), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = self.frame_no * 3000
        frame.time_base = fractions.Fraction(1, 90000)
        payloads, timestamp = self.encoder.encode(frame, force_keyframe=self.want_keyframe)
        self.want_keyframe = False
        packets = []
        for i, payload in enumerate(payloads):
            packet = RtpPacket(payload_type=96, sequence_number=self.seq & 0xFFFF)
            packet.timestamp = timestamp
            packet.ssrc = self.ssrc
            packet.marker = 1 if i == len(payloads) - 1 else 0
            packet.payload = payload
            packets.append(packet)
            self.seq += 1
        self.frame_no += 1
        return packets


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[RTCRtpReceiver, Feedback]]:
    gatherer = RTCIceGatherer(iceServers=[])
    dtls = RTCDtlsTransport(RTCIceTransport(gatherer), [RTCCertificate.generateCertificate()])
    rx = RTCRtpReceiver("video", dtls)
    rx._track = RemoteStreamTrack(kind="video")
    rx._set_rtcp_ssrc(1234)
    feedback = Feedback()
    loop = asyncio.get_running_loop()

    async def pli(media_ssrc: int) -> None:
        feedback.plis.append(loop.time())

    async def nack(media_ssrc: int, lost: list[int]) -> None:
        feedback.nacks.append(lost)

    rx._send_rtcp_pli = pli  # type: ignore[method-assign]
    rx._send_rtcp_nack = nack  # type: ignore[method-assign]
    await rx.receive(
        RTCRtpReceiveParameters(
            codecs=[VP8], encodings=[RTCRtpDecodingParameters(ssrc=MEDIA_SSRC, payloadType=96)]
        )
    )
    try:
        yield rx, feedback
    finally:
        await rx.stop()


async def _decoded_levels(rx: RTCRtpReceiver, *, settle_s: float = 0.3) -> list[int]:
    """Mean grey level of every frame decoded so far (waits until the decoder is idle)."""
    levels = []
    while True:
        try:
            async with asyncio.timeout(settle_s):
                frame = await rx.track.recv()
        except TimeoutError:
            return levels
        levels.append(round(float(frame.to_ndarray(format="gray").mean())))


def _close(level: int, expected: int) -> bool:
    return abs(level - expected) <= 3


async def _play(
    rx: RTCRtpReceiver,
    sender: Sender,
    frames: int,
    *,
    feedback: Feedback | None = None,
    clock: Clock | None = None,
    lose: set[int] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Send ``frames`` frames at 30 fps of scripted time; a PLI makes the next one a keyframe."""
    for _ in range(frames):
        plis = len(feedback.plis) if feedback else 0
        for packet in sender.next_frame():
            if packet.sequence_number not in lose:
                await rx._handle_rtp_packet(packet, arrival_time_ms=0)
        if feedback is not None and len(feedback.plis) > plis:
            sender.want_keyframe = True
        if clock is not None:
            clock.now += FRAME_S


async def test_aiortc_alone_stays_frozen_after_one_unrepaired_loss(
    receiver: tuple[RTCRtpReceiver, Feedback],
) -> None:
    """The defect this module exists for (pins aiortc 1.16's jitter buffer behaviour)."""
    rx, feedback = receiver
    sender = Sender()
    await _play(rx, sender, 5)
    lost = sender.seq  # the first packet of frame 5
    await _play(rx, sender, 90, feedback=feedback, lose={lost})
    levels = await _decoded_levels(rx)
    assert [_close(v, Sender.level(n)) for n, v in enumerate(levels)] == [True] * len(levels)
    assert len(levels) <= 5  # nothing after the loss, for 3 s of video
    assert feedback.plis == []


async def test_recovery_drops_the_broken_frame_asks_one_keyframe_and_video_moves_again(
    receiver: tuple[RTCRtpReceiver, Feedback],
) -> None:
    rx, feedback = receiver
    clock = Clock()
    recovery = install_video_recovery(rx, clock=clock)
    sender = Sender()
    await _play(rx, sender, 5, feedback=feedback, clock=clock)
    lost = sender.seq
    await _play(rx, sender, 30, feedback=feedback, clock=clock, lose={lost})
    levels = await _decoded_levels(rx)
    # Frames 0-4, then (after the PLI) the keyframe and every frame after it.
    assert len(feedback.plis) == 1
    assert recovery.stats.frames_dropped == 1
    first_after = sender.frame_no - (len(levels) - 5)
    assert first_after - 5 <= 1 + round(recovery._assembler.repair_deadline_s / FRAME_S) + 1
    expected = list(range(5)) + list(range(first_after, sender.frame_no))
    assert all(_close(v, Sender.level(n)) for v, n in zip(levels, expected, strict=True))


async def test_a_decoder_error_becomes_one_rate_limited_keyframe_request(
    receiver: tuple[RTCRtpReceiver, Feedback],
) -> None:
    rx, feedback = receiver
    decoder_error = rx._RTCRtpReceiver__decoder_error  # type: ignore[attr-defined]  # held by the decoder thread
    clock = Clock()
    install_video_recovery(rx, clock=clock)
    sender = Sender()
    await _play(rx, sender, 3, clock=clock)
    for _ in range(3):  # three errors within one request interval
        decoder_error.set()
        await _play(rx, sender, 1, clock=clock)
    assert len(feedback.plis) == 1
    clock.now += KEYFRAME_REQUEST_INTERVAL_S
    await _play(rx, sender, 1, clock=clock)
    assert len(feedback.plis) == 2
    sender.want_keyframe = True
    await _play(rx, sender, 3, clock=clock)
    levels = await _decoded_levels(rx)
    assert _close(levels[-1], Sender.level(sender.frame_no - 1))


async def test_recovery_follows_an_m_line_reused_for_a_new_stream(
    receiver: tuple[RTCRtpReceiver, Feedback],
) -> None:
    rx, feedback = receiver
    clock = Clock()
    recovery = install_video_recovery(rx, clock=clock)
    assert install_video_recovery(rx) is recovery
    await _play(rx, Sender(), 3, clock=clock)
    assert _reuse_m_line(rx, 9999)
    second = Sender(ssrc=9999)
    second.seq = 40_000
    await _play(rx, second, 5, clock=clock)
    levels = await _decoded_levels(rx)
    assert recovery.streams == 2
    assert len(levels) == 8
    assert all(_close(v, Sender.level(n)) for v, n in zip(levels[3:], range(5), strict=True))
    assert feedback.plis == []


def test_audio_receivers_are_refused() -> None:
    gatherer = RTCIceGatherer(iceServers=[])
    dtls = RTCDtlsTransport(RTCIceTransport(gatherer), [RTCCertificate.generateCertificate()])
    with pytest.raises(ValueError, match="video"):
        install_video_recovery(RTCRtpReceiver("audio", dtls))


def test_the_receiver_internals_it_replaces_are_still_there() -> None:
    receiver_recovery.check_compatible()

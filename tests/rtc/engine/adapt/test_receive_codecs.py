"""VP9 and AV1 through a real aiortc receiver: registered, depacketised, decoded, recovered.

Like test_receiver_recovery.py, a scripted sender (real encoders, rtp_senders.py) hands RTP
packets to an ``RTCRtpReceiver`` as its DTLS transport would, with lkdesk's video recovery
installed as the subscriber installs it. No network is involved.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import aiortc
import pytest
from aiortc import RTCPeerConnection, RTCRtpSender, rtcrtpreceiver
from aiortc.codecs import CODECS
from aiortc.mediastreams import VideoStreamTrack
from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsTransport
from aiortc.rtcicetransport import RTCIceGatherer, RTCIceTransport
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpDecodingParameters,
    RTCRtpReceiveParameters,
)
from aiortc.rtcrtpreceiver import RemoteStreamTrack, RTCRtpReceiver
from aiortc.rtp import RtpPacket

from lkdesk.rtc.engine import adapt
from lkdesk.rtc.engine.adapt import receive_codecs
from lkdesk.rtc.engine.adapt._pins import AdaptationIncompatibleError
from lkdesk.rtc.engine.adapt.receiver_recovery import install_video_recovery
from lkdesk.rtc.engine.adapt.video_decoders import Av1Decoder, Vp9Decoder
from tests.rtc.engine.adapt.rtp_senders import Sender, grey

MEDIA_SSRC = 4321
PAYLOAD_TYPES = {"VP9": 98, "AV1": 45}


def test_vp9_and_av1_are_registered_once_with_rtx_and_aiortcs_feedback() -> None:
    assert adapt.install_receive_codecs() == ("VP9", "AV1")
    assert adapt.install_receive_codecs() == ("VP9", "AV1")  # idempotent
    video = CODECS["video"]
    names = [c.name for c in video]
    assert names.count("VP9") == 1 and names.count("AV1") == 1
    vp8 = next(c for c in video if c.name == "VP8")
    for name in ("VP9", "AV1"):
        codec = next(c for c in video if c.name == name)
        assert codec.rtcpFeedback == vp8.rtcpFeedback
        assert any(c.name == "rtx" and c.parameters.get("apt") == codec.payloadType for c in video)
    assert len({c.payloadType for c in video}) == len(video)
    assert adapt.receivable_mime_types() == {"video/vp9", "video/av1"}


def test_the_receiver_module_calls_lkdesks_depayloader_and_decoders_for_them_only() -> None:
    adapt.install_receive_codecs()
    vp9 = RTCRtpCodecParameters(mimeType="video/VP9", clockRate=90000, payloadType=98)
    av1 = RTCRtpCodecParameters(mimeType="video/AV1", clockRate=90000, payloadType=45)
    vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    assert isinstance(rtcrtpreceiver.get_decoder(vp9), Vp9Decoder)
    assert isinstance(rtcrtpreceiver.get_decoder(av1), Av1Decoder)
    assert type(rtcrtpreceiver.get_decoder(vp8)).__name__ == "Vp8Decoder"
    assert rtcrtpreceiver.depayload(vp9, bytes([0x0C]) + b"abc") == b"abc"  # B, E
    assert rtcrtpreceiver.depayload(vp8, bytes([0x10]) + b"abc") == b"abc"
    with pytest.raises(ValueError):
        rtcrtpreceiver.depayload(av1, bytes([0x00, 0x05]))


def test_a_changed_aiortc_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    receive_codecs.check_compatible()
    monkeypatch.setattr(aiortc, "__version__", "1.17.0")
    with pytest.raises(AdaptationIncompatibleError):
        receive_codecs.check_compatible()


async def test_the_publisher_never_offers_a_receive_only_codec() -> None:
    from lkdesk.rtc.engine.publisher import prefer_codec

    adapt.install_receive_codecs()
    assert not adapt.can_send("vp9") and not adapt.can_send("AV1") and adapt.can_send("VP8")
    capabilities = RTCRtpSender.getCapabilities("video").codecs
    assert {"VP9", "AV1"} <= {c.name for c in capabilities}
    for codec in ("vp9", "vp8", "h265"):
        pc = RTCPeerConnection()
        try:
            transceiver = pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
            prefer_codec(transceiver, codec)
            offered = {c.name for c in transceiver._preferred_codecs}
            assert not offered & {"VP9", "AV1"}, (codec, offered)
        finally:
            await pc.close()


# -- a real receiver -------------------------------------------------------------------------


@pytest.fixture(params=["VP9", "AV1"])
async def stream(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[RTCRtpReceiver, Sender, list[float]]]:
    adapt.install_receive_codecs()
    codec_name: str = request.param
    codec = RTCRtpCodecParameters(
        mimeType=f"video/{codec_name}", clockRate=90000, payloadType=PAYLOAD_TYPES[codec_name]
    )
    gatherer = RTCIceGatherer(iceServers=[])
    dtls = RTCDtlsTransport(RTCIceTransport(gatherer), [RTCCertificate.generateCertificate()])
    rx = RTCRtpReceiver("video", dtls)
    rx._track = RemoteStreamTrack(kind="video")
    rx._set_rtcp_ssrc(1234)
    plis: list[float] = []
    loop = asyncio.get_running_loop()

    async def pli(media_ssrc: int) -> None:
        plis.append(loop.time())

    async def nack(media_ssrc: int, lost: list[int]) -> None:
        pass

    rx._send_rtcp_pli = pli  # type: ignore[method-assign]
    rx._send_rtcp_nack = nack  # type: ignore[method-assign]
    install_video_recovery(rx)
    await rx.receive(
        RTCRtpReceiveParameters(
            codecs=[codec],
            encodings=[RTCRtpDecodingParameters(ssrc=MEDIA_SSRC, payloadType=codec.payloadType)],
        )
    )
    sender = Sender(codec_name, ssrc=MEDIA_SSRC, payload_type=codec.payloadType)
    try:
        yield rx, sender, plis
    finally:
        await rx.stop()


async def _levels(rx: RTCRtpReceiver, *, settle_s: float = 1.0) -> list[int]:
    """Mean grey level of every frame decoded so far (waits until the decoder is idle)."""
    levels = []
    while True:
        try:
            async with asyncio.timeout(settle_s):
                frame = await rx.track.recv()
        except TimeoutError:
            return levels
        levels.append(round(float(frame.to_ndarray(format="gray").mean())))


async def _send(
    rx: RTCRtpReceiver,
    sender: Sender,
    frames: int,
    plis: list[float],
    *,
    lose: frozenset[int] = frozenset(),
) -> None:
    for _ in range(frames):
        asked = len(plis)
        for packet in sender.next_frame():
            if packet.sequence_number not in lose:
                await rx._handle_rtp_packet(packet, arrival_time_ms=0)
        if len(plis) > asked:
            sender.want_keyframe = True


def _close(level: int, frame_no: int) -> bool:
    return abs(level - grey(frame_no)) <= 6


async def test_every_frame_decodes_to_its_colour(
    stream: tuple[RTCRtpReceiver, Sender, list[float]],
) -> None:
    rx, sender, plis = stream
    await _send(rx, sender, 8, plis)
    levels = await _levels(rx)
    # The last frame is released when the next one starts or by its marker bit: all 8 arrive.
    assert len(levels) == 8, levels
    assert all(_close(level, n) for n, level in enumerate(levels)), levels
    assert plis == []


async def test_malformed_packets_are_dropped_and_the_video_goes_on(
    stream: tuple[RTCRtpReceiver, Sender, list[float]],
) -> None:
    rx, sender, plis = stream
    await _send(rx, sender, 3, plis)
    # Malformed for both formats (truncated VP9 descriptors; AV1 Z with N, or no elements),
    # sent with sequence numbers already received so the stream itself is not disturbed.
    for i, payload in enumerate([bytes([0xFF]), bytes([0xC0]), bytes([0xC8, 0x7F])]):
        packet = RtpPacket(payload_type=sender.payload_type, sequence_number=sender.seq - 1 - i)
        packet.ssrc, packet.timestamp, packet.payload = MEDIA_SSRC, 1, payload
        await rx._handle_rtp_packet(packet, arrival_time_ms=0)  # must not raise
    await _send(rx, sender, 3, plis)
    levels = await _levels(rx)
    assert levels and _close(levels[-1], sender.frame_no - 1), levels


async def test_a_lost_packet_costs_one_keyframe_request_and_the_picture_recovers(
    stream: tuple[RTCRtpReceiver, Sender, list[float]],
) -> None:
    rx, sender, plis = stream
    await _send(rx, sender, 4, plis)
    assert len(await _levels(rx)) == 4
    lost = sender.seq  # the first packet of frame 4
    await _send(rx, sender, 1, plis, lose={lost & 0xFFFF})
    await asyncio.sleep(0.7)  # past the repair deadline: the frame is given up
    await _send(rx, sender, 6, plis)
    levels = await _levels(rx)
    assert len(plis) >= 1
    assert levels and _close(levels[-1], sender.frame_no - 1), levels
    assert not any(_close(level, 4) for level in levels), levels  # the broken frame never shows


async def test_corrupted_packets_in_the_stream_never_raise_and_the_picture_comes_back(
    stream: tuple[RTCRtpReceiver, Sender, list[float]],
) -> None:
    """Seeded fuzzing through the whole receive path (depacketiser, assembler, decoder
    thread): random bytes and mutated real packets in place of real ones, in sequence."""
    rx, sender, plis = stream
    rng = random.Random(16)
    await _send(rx, sender, 2, plis)
    for _ in range(12):
        asked = len(plis)
        for packet in sender.next_frame():
            payload = bytearray(packet.payload)
            if rng.random() < 0.5:
                payload = bytearray(rng.randbytes(rng.randint(1, 40)))
            else:
                for _ in range(rng.randint(1, 4)):
                    payload[rng.randrange(len(payload))] = rng.randrange(256)
            packet.payload = bytes(payload)
            await rx._handle_rtp_packet(packet, arrival_time_ms=0)  # must not raise
        if len(plis) > asked:
            sender.want_keyframe = True
    await asyncio.sleep(0.7)  # past the repair deadline of anything still incomplete
    sender.want_keyframe = True
    await _send(rx, sender, 6, plis)
    levels = await _levels(rx)
    assert levels and _close(levels[-1], sender.frame_no - 1), levels
    assert rx._RTCRtpReceiver__decoder_thread.is_alive()  # type: ignore[attr-defined]

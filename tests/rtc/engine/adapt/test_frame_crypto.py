"""Frames are encrypted between aiortc's encoder and packetiser and decrypted between the
video recovery's assembler (or the audio jitter buffer) and the decoder (no network).

A real ``RTCRtpSender`` encodes synthetic frames with aiortc's own VP8/Opus encoders; its
RTP payloads are handed to a real ``RTCRtpReceiver`` as its DTLS transport would.
"""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import AsyncIterator
from types import SimpleNamespace

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsTransport
from aiortc.rtcicetransport import RTCIceGatherer, RTCIceTransport
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpDecodingParameters,
    RTCRtpReceiveParameters,
)
from aiortc.rtcrtpreceiver import RemoteStreamTrack, RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket

from lkdesk.rtc.e2ee import (
    Drop,
    FrameCryptor,
    KeyDerivationFunction,
    KeyProvider,
    KeyProviderOptions,
)
from lkdesk.rtc.engine.adapt import frame_crypto
from lkdesk.rtc.engine.adapt.frame_crypto import install_receive_crypto, install_send_crypto
from lkdesk.rtc.engine.adapt.receiver_recovery import install_video_recovery
from tests.integration.analysis import dominant_frequency

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)
SSRC = 4321
TONE_HZ = 1000.0


def _cryptor(key: bytes, *, sending: bool) -> FrameCryptor:
    provider = KeyProvider(
        KeyProviderOptions(shared_key=key, key_derivation_function=KeyDerivationFunction.HKDF)
    )
    return FrameCryptor("alice", "TR_a", provider, sending=sending)


def level(n: int) -> int:
    return 30 + (n * 11) % 180


class GreyFrames(MediaStreamTrack):
    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    async def recv(self) -> av.VideoFrame:
        image = np.full((240, 320, 3), level(self.n), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = self.n * 3000, fractions.Fraction(1, 90000)
        self.n += 1
        return frame


class Tone(MediaStreamTrack):
    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.samples = 0

    async def recv(self) -> av.AudioFrame:
        t = (self.samples + np.arange(960)) / 48000
        pcm = (8000 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48000, self.samples
        frame.time_base = fractions.Fraction(1, 48000)
        self.samples += 960
        return frame


async def _rtp(sender: RTCRtpSender, codec: RTCRtpCodecParameters, frames: int) -> list[RtpPacket]:
    """What the sender would put on the wire for ``frames`` frames."""
    packets, seq = [], 100
    for _ in range(frames):
        encoded = await sender._next_encoded_frame(codec)
        if encoded is None:
            continue
        for i, payload in enumerate(encoded.payloads):
            packet = RtpPacket(payload_type=codec.payloadType, sequence_number=seq)
            packet.ssrc, packet.timestamp, packet.payload = SSRC, encoded.timestamp, payload
            packet.marker = int(i == len(encoded.payloads) - 1)
            packets.append(packet)
            seq += 1
    return packets


@pytest.fixture
async def make_receiver() -> AsyncIterator[object]:
    receivers: list[RTCRtpReceiver] = []

    async def make(kind: str, codec: RTCRtpCodecParameters) -> RTCRtpReceiver:
        gatherer = RTCIceGatherer(iceServers=[])
        dtls = RTCDtlsTransport(RTCIceTransport(gatherer), [RTCCertificate.generateCertificate()])
        rx = RTCRtpReceiver(kind, dtls)
        rx._track = RemoteStreamTrack(kind=kind)
        rx._set_rtcp_ssrc(1234)

        async def quiet(*_args: object) -> None:
            pass

        rx._send_rtcp_pli = quiet  # type: ignore[method-assign,assignment]
        rx._send_rtcp_nack = quiet  # type: ignore[method-assign,assignment]
        receivers.append(rx)
        return rx

    yield make
    for rx in receivers:
        await rx.stop()


async def _start(rx: RTCRtpReceiver, codec: RTCRtpCodecParameters) -> None:
    await rx.receive(
        RTCRtpReceiveParameters(
            codecs=[codec],
            encodings=[RTCRtpDecodingParameters(ssrc=SSRC, payloadType=codec.payloadType)],
        )
    )


async def _decoded(rx: RTCRtpReceiver, settle_s: float = 0.5) -> list[av.frame.Frame]:
    out = []
    while True:
        try:
            async with asyncio.timeout(settle_s):
                out.append(await rx.track.recv())
        except TimeoutError:
            return out


async def _video(
    make_receiver: object, send_key: bytes, receive_key: bytes | None
) -> tuple[list[int], FrameCryptor | None, list[RtpPacket]]:
    sender = RTCRtpSender(GreyFrames(), SimpleNamespace(state="new"))  # type: ignore[arg-type]
    install_send_crypto(sender, _cryptor(send_key, sending=True))
    packets = await _rtp(sender, VP8, 20)
    rx = await make_receiver("video", VP8)  # type: ignore[operator]
    recovery = install_video_recovery(rx)
    cryptor = None if receive_key is None else _cryptor(receive_key, sending=False)
    if cryptor is not None:
        install_receive_crypto(rx, lambda: cryptor)
    await _start(rx, VP8)
    for packet in packets:
        await rx._handle_rtp_packet(packet, arrival_time_ms=0)
    frames = await _decoded(rx)
    levels = [round(float(f.to_ndarray(format="gray").mean())) for f in frames]
    # every frame was assembled from the clear bits, and the first was seen as a keyframe
    # (else the deltas after it would have been held back waiting for one)
    assert recovery.stats.frames_released == 20 and recovery.stats.frames_held_back == 0
    return levels, cryptor, packets


async def test_vp8_frames_arrive_decrypted_with_the_same_key(make_receiver: object) -> None:
    levels, cryptor, packets = await _video(make_receiver, b"k1", b"k1")
    assert cryptor is not None and cryptor.stats.decrypted == 20
    assert len(levels) == 20
    assert all(abs(got - level(n)) <= 4 for n, got in enumerate(levels)), levels
    # the VP8 payload descriptor and keyframe bit stayed readable for the assembler
    first = packets[0].payload
    assert first[0] & 0x10 and not first[4] & 0x01  # S bit; P bit of a keyframe after 4 bytes


async def test_vp8_frames_with_another_key_never_reach_the_decoder(make_receiver: object) -> None:
    levels, cryptor, _ = await _video(make_receiver, b"k1", b"k2")
    assert levels == []
    assert cryptor is not None and cryptor.stats.dropped == {Drop.FAILED_TAG: 20}


async def test_an_unkeyed_receiver_cannot_decode_the_encrypted_stream(
    make_receiver: object,
) -> None:
    levels, _, _ = await _video(make_receiver, b"k1", None)  # all 20 reached the decoder
    right = [abs(got - level(n)) <= 4 for n, got in enumerate(levels)]
    assert not any(right), levels


async def test_opus_frames_keep_their_toc_byte_and_decrypt_to_the_tone(
    make_receiver: object,
) -> None:
    sender = RTCRtpSender(Tone(), SimpleNamespace(state="new"))  # type: ignore[arg-type]
    install_send_crypto(sender, _cryptor(b"k", sending=True))
    packets = await _rtp(sender, OPUS, 100)
    assert len(packets) >= 95  # one RTP packet per 20 ms Opus frame
    assert all(p.payload[-2:] == bytes([12, 0]) for p in packets)
    rx = await make_receiver("audio", OPUS)  # type: ignore[operator]
    cryptor = _cryptor(b"k", sending=False)
    install_receive_crypto(rx, lambda: cryptor)
    await _start(rx, OPUS)
    for packet in packets:
        await rx._handle_rtp_packet(packet, arrival_time_ms=0)
    frames = await _decoded(rx)
    pcm = np.concatenate([f.to_ndarray().reshape(-1, 2)[:, 0] for f in frames])
    assert len(pcm) >= 48000
    assert abs(dominant_frequency(pcm[4800:], 48000) - TONE_HZ) < 20
    assert cryptor.stats.dropped_total == 0


async def test_a_cryptor_that_raises_never_stops_the_decoder_thread(make_receiver: object) -> None:
    sender = RTCRtpSender(GreyFrames(), SimpleNamespace(state="new"))  # type: ignore[arg-type]
    install_send_crypto(sender, _cryptor(b"k", sending=True))
    packets = await _rtp(sender, VP8, 12)
    rx = await make_receiver("video", VP8)  # type: ignore[operator]
    install_video_recovery(rx)
    good = _cryptor(b"k", sending=False)
    calls = 0

    class Buggy:
        def decrypt(self, codec: str, frame: bytes) -> bytes | None:
            nonlocal calls
            calls += 1
            if calls in (4, 5):
                raise RuntimeError("a cryptor bug")
            return good.decrypt(codec, frame)

    install_receive_crypto(rx, Buggy)
    await _start(rx, VP8)
    for packet in packets:
        await rx._handle_rtp_packet(packet, arrival_time_ms=0)
    frames = await _decoded(rx)
    assert len(frames) == 10 and good.stats.decrypted == 10  # all but the two that raised
    assert rx._RTCRtpReceiver__decoder_thread.is_alive()  # type: ignore[attr-defined]
    assert rx._lkdesk_frame_crypto.crashes == 2  # type: ignore[attr-defined]


def test_the_hooks_match_the_installed_aiortc() -> None:
    frame_crypto.check_compatible()

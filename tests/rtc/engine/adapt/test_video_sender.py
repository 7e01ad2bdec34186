"""lkdesk's layered video sender on aiortc: what it puts on the wire, and its fallbacks.

The answering side here is plain aiortc, which knows no RIDs: its answer has no
``a=simulcast`` (and may pick H.264). That is the "server that rejects a layer layout or a
codec" of the issue: the sender must fall back to one layer, with a logged reason, and the
video must still arrive (decoded here, size and colour checked).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import numpy as np
import pytest
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from lkdesk.core.frames import VideoFormat, VideoFrame
from lkdesk.rtc.engine.adapt import LayeredVideoSender, UplinkController, amend_offer, read_answer
from lkdesk.rtc.engine.adapt.sender_swap import install_layered_sender
from lkdesk.rtc.engine.congestion.allocation import Degradation, camera_layers
from lkdesk.rtc.engine.media_tracks import SourceVideoTrack
from lkdesk.rtc.sources import VideoSource
from tests.rtc.engine.adapt.aiortc_pair import require_sandbox, until

COLOUR = (40, 170, 220)
WIDTH, HEIGHT = 960, 540


async def produce(source: VideoSource) -> None:
    image = np.empty((HEIGHT, WIDTH, 3), dtype=np.uint8)
    image[:] = COLOUR
    while True:
        source.capture_frame(VideoFrame(WIDTH, HEIGHT, VideoFormat.RGB24, image))
        await asyncio.sleep(1 / 20)


def only_codec(sdp: str, codec: str) -> str:
    """The offer with just ``codec`` (and its RTX) left in the video section."""
    lines = sdp.split("\r\n")
    names = {}
    for line in lines:
        if line.startswith("a=rtpmap:"):
            pt, _, name = line[9:].partition(" ")
            names[pt] = name.split("/")[0]
    keep = {pt for pt, name in names.items() if name == codec}
    keep |= {
        line[7:].split(" ")[0]
        for line in lines
        if line.startswith("a=fmtp:") and any(f"apt={pt}" in line for pt in keep)
    }

    def kept(line: str) -> bool:
        for prefix in ("a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"):
            if line.startswith(prefix):
                return line[len(prefix) :].split(" ")[0] in keep or names.get(
                    line[len(prefix) :].split(" ")[0]
                ) in ("opus",)
        return True

    out = []
    for line in lines:
        if line.startswith("m=video"):
            head = line.split(" ")[:3]
            line = " ".join(head + [pt for pt in line.split(" ")[3:] if pt in keep])
        if kept(line):
            out.append(line)
    return "\r\n".join(out)


@contextlib.asynccontextmanager
async def call(
    answer_codec: str = "VP8",
) -> AsyncIterator[tuple[LayeredVideoSender, list[tuple[int, int, tuple[float, ...]]]]]:
    require_sandbox()
    config = RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    sender_pc, receiver_pc = RTCPeerConnection(config), RTCPeerConnection(config)
    source = VideoSource(WIDTH, HEIGHT)
    track = SourceVideoTrack(source)
    uplink = UplinkController(sender_pc)
    transceiver = sender_pc.addTransceiver(track, direction="sendonly")
    codecs = RTCRtpSender.getCapabilities("video").codecs
    transceiver.setCodecPreferences([c for c in codecs if c.name in ("VP8", "H264", "rtx")])
    layers = camera_layers(WIDTH, HEIGHT, simulcast=True)
    sender = install_layered_sender(transceiver, layers, uplink, Degradation.BALANCED)
    frames: list[tuple[int, int, tuple[float, ...]]] = []
    tasks = [asyncio.create_task(produce(source))]

    def on_track(remote: MediaStreamTrack) -> None:
        tasks.append(asyncio.create_task(pump(remote)))

    async def pump(remote: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await remote.recv()
                rgb = frame.to_ndarray(format="rgb24")
                frames.append((frame.width, frame.height, tuple(rgb.reshape(-1, 3).mean(axis=0))))

    receiver_pc.on("track", on_track)
    try:
        await sender_pc.setLocalDescription(await sender_pc.createOffer())
        mid = transceiver.mid
        assert mid is not None
        offer = amend_offer(sender_pc.localDescription.sdp, {mid: sender.rids})
        assert "a=simulcast:send q;h" in offer
        offer = only_codec(offer, answer_codec)
        await receiver_pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await receiver_pc.setLocalDescription(await receiver_pc.createAnswer())
        answer = receiver_pc.localDescription.sdp
        sender.accept_answer(read_answer(answer, mid))
        await sender_pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        yield sender, frames
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await uplink.aclose()
        await sender_pc.close()
        await receiver_pc.close()
        track.stop()


async def test_an_answer_without_simulcast_gets_one_full_size_layer_and_video_flows(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        async with call() as (sender, frames):
            await until(lambda: len(frames) >= 10, deadline_s=20)
            assert [layer.rid for layer in sender.layers] == [""]
            assert "the server accepted layers none" in sender.fallback_reason
            stats = sender.layer_stats()
    width, height, colour = frames[-1]
    assert (width, height) == (WIDTH, HEIGHT)
    assert np.allclose(colour, COLOUR, atol=12), colour
    assert stats[0]["frames_encoded"] >= 10
    assert any("falling back to one layer" in r.getMessage() for r in caplog.records)


async def test_an_answer_that_picks_h264_falls_back_to_aiortcs_encoder(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        async with call(answer_codec="H264") as (sender, frames):
            started = time.monotonic()
            await until(lambda: len(frames) >= 5, deadline_s=30)
            assert "H264" in sender.fallback_reason
    width, height, colour = frames[-1]
    assert (width, height) == (WIDTH, HEIGHT), f"after {time.monotonic() - started:.1f} s"
    assert np.allclose(colour, COLOUR, atol=12), colour

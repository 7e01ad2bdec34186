"""lkdesk's camera simulcast as official-SDK subscribers see it (issue 13, item 2).

lkdesk (its own process, in a network namespace of its own, no shaping) publishes a
1280x720 moving picture as three layers (q 320x180, h 640x360, f 1280x720). Two SDK peers
subscribe: one asks for the low quality, one for the high. Each must decode the layer it
asked for (measured: the decoded frames' size). Then the second asks for low too: nobody
wants the high layer any more, and lkdesk must stop encoding it (measured: the layer's
encoded-frame count stops growing; lkdesk's CPU is printed beside it). When the second
asks for high again, the layer is encoded and decoded again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from livekit import rtc as sdk

from tests.integration.livekit_server import LiveKitServer
from tests.integration.media_watch import VideoWatch
from tests.integration.netns import netns_host
from tests.integration.peers import SdkPeer
from tests.integration.remote_lkdesk import RemoteLkdesk, remote_lkdesk

pytestmark = pytest.mark.integration

LOW, HIGH = sdk.VideoQuality.VIDEO_QUALITY_LOW, sdk.VideoQuality.VIDEO_QUALITY_HIGH
SWITCH_DEADLINE_S = 30.0  # the server's dynacast and its subscriber bandwidth probing
IDLE_WINDOW_S = 3.0


def _video_publication(peer: SdkPeer, identity: str) -> sdk.RemoteTrackPublication:
    participant = peer.room.remote_participants[identity]
    return next(
        p for p in participant.track_publications.values() if p.kind == sdk.TrackKind.KIND_VIDEO
    )


async def _watch(peer: SdkPeer, quality: sdk.VideoQuality.ValueType) -> VideoWatch:
    async with asyncio.timeout(20):
        track = await peer.subscribed_track("lkdesk", "camera")
    _video_publication(peer, "lkdesk").set_video_quality(quality)
    return VideoWatch(track).start()


def _layer(stats: dict[str, Any], rid: str) -> dict[str, Any]:
    (track,) = stats["tracks"].values()
    return next(layer for layer in track["layers"] if layer["rid"] == rid)


async def _encoded_in(lk: RemoteLkdesk, rid: str, seconds: float) -> tuple[int, float]:
    """(frames layer ``rid`` encoded, lkdesk's CPU share) over ``seconds``."""
    before = await lk.call("uplink_stats")
    await asyncio.sleep(seconds)
    after = await lk.call("uplink_stats")
    frames = _layer(after, rid)["frames_encoded"] - _layer(before, rid)["frames_encoded"]
    return frames, (after["cpu_s"] - before["cpu_s"]) / (after["t"] - before["t"])


async def _until_encoding(lk: RemoteLkdesk, rid: str, running: bool) -> tuple[int, float]:
    """Poll until layer ``rid`` is (or is no longer) encoded; the last window's figures."""
    frames, cpu = await _encoded_in(lk, rid, IDLE_WINDOW_S)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(SWITCH_DEADLINE_S):
            while (frames > 0) != running:
                frames, cpu = await _encoded_in(lk, rid, IDLE_WINDOW_S)
    return frames, cpu


@contextlib.asynccontextmanager
async def _publishing_lkdesk(
    server: LiveKitServer, room: str, log_dir: Path
) -> AsyncIterator[RemoteLkdesk]:
    with netns_host() as host:
        async with remote_lkdesk(host, log_dir) as lk:
            await lk.call("connect", url=server.lan_ws_url, token=server.token("lkdesk", room))
            await lk.call(
                "publish_video", color=[60, 140, 200], width=1280, height=720, fps=15,
                textured=True,
            )  # fmt: skip
            try:
                yield lk
            except BaseException:
                print(f"--- lkdesk agent log ---\n{lk.log_tail(60)}")
                raise


async def test_sdk_subscribers_get_the_layer_they_ask_for_and_unwatched_layers_stop(
    livekit_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    server = livekit_server
    async with (
        _publishing_lkdesk(server, room_name, tmp_path) as lk,
        SdkPeer(server.ws_url, server.token("small", room_name)) as small,
        SdkPeer(server.ws_url, server.token("full", room_name)) as full,
    ):
        small_video = await _watch(small, LOW)
        full_video = await _watch(full, HIGH)
        try:
            assert _video_publication(small, "lkdesk").simulcasted
            small_size = await small_video.until_size(180, SWITCH_DEADLINE_S)
            full_size = await full_video.until_size(720, SWITCH_DEADLINE_S)
            both, cpu_all = await _encoded_in(lk, "f", IDLE_WINDOW_S)
            print(f"small asks low: {small_size}; full asks high: {full_size}")
            print(f"all wanted: f encoded {both} frames in {IDLE_WINDOW_S} s, CPU {cpu_all:.0%}")
            assert small_size == (320, 180), f"low quality decoded at {small_size}"
            assert full_size == (1280, 720), f"high quality decoded at {full_size}"
            assert both > 0

            _video_publication(full, "lkdesk").set_video_quality(LOW)
            idle, cpu_idle = await _until_encoding(lk, "f", running=False)
            stats = await lk.call("uplink_stats")
            print(f"f unwanted: f encoded {idle} frames in {IDLE_WINDOW_S} s, CPU {cpu_idle:.0%}")
            assert idle == 0, f"the unwatched 720p layer still encoded {idle} frames"
            assert not _layer(stats, "f")["active"]
            assert await full_video.until_size(180, SWITCH_DEADLINE_S) == (320, 180)

            _video_publication(full, "lkdesk").set_video_quality(HIGH)
            again, _cpu = await _until_encoding(lk, "f", running=True)
            back = await full_video.until_size(720, SWITCH_DEADLINE_S)
            print(f"full asks high again: f encoded {again} frames, decoded {back}")
            assert again > 0 and back == (1280, 720)
        finally:
            await small_video.aclose()
            await full_video.aclose()

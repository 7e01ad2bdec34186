"""lkdesk's uplink adapts to a 500 kbit/s link with 2 % loss, and recovers (issue 13, item 1).

lkdesk runs in its own network namespace (netns.py); tc's tbf caps what it sends at
500 kbit/s (100 ms queue) and iptables drops 2 % of its UDP both ways. It publishes a
1280x720 moving picture as three simulcast layers and a 440 Hz tone; an official-SDK peer
in the sandbox namespace subscribes at full size. While capped, the peer must keep
receiving: audio with under 5 % of its 10 ms frames missing, video at 10 fps or more and
never frozen longer than 2 s. When the cap lifts (the 2 % loss stays), lkdesk's sent video
must climb back above 1.2 Mbit/s within 15 s (the bounds are the issue's).

What lkdesk sends is read from its senders' counters (media payload bytes of every
layer, no padding or retransmissions); what the peer gets from the decoded frames and
samples themselves, and the peer decoder's concealed samples (libwebrtc's count) beside
them, since concealment of a lost packet can pass for a stationary tone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.livekit_server import LiveKitServer
from tests.integration.media_watch import AudioWatch, VideoWatch, inbound_stats
from tests.integration.netns import NetnsHost, netns_host
from tests.integration.peers import SdkPeer
from tests.integration.remote_lkdesk import RemoteLkdesk, remote_lkdesk

pytestmark = pytest.mark.integration

CAP_KBIT = 500
LOSS = 0.02
TONE_HZ = 440.0
TONE_AMPLITUDE = 0.3
SETTLE_S = 8.0  # after the cap: the estimate comes down, layers stop
CAPPED_S = 20.0  # then measured
MIN_FPS = 10.0
MAX_FREEZE_S = 2.0
MAX_MISSING_AUDIO = 0.05
RECOVERED_BPS = 1_200_000
RECOVERY_BOUND_S = 15.0


def sent_media_bytes(stats: dict[str, Any]) -> int:
    return sum(
        layer["bytes_sent"] for track in stats["tracks"].values() for layer in track["layers"]
    )


@contextlib.asynccontextmanager
async def call(
    server: LiveKitServer, room: str, log_dir: Path
) -> AsyncIterator[tuple[NetnsHost, RemoteLkdesk, VideoWatch, AudioWatch]]:
    with netns_host() as host:
        async with remote_lkdesk(host, log_dir) as lk:
            await lk.call("connect", url=server.lan_ws_url, token=server.token("lkdesk", room))
            await lk.call(
                "publish_video", color=[200, 120, 60], width=1280, height=720, fps=20,
                textured=True,
            )  # fmt: skip
            await lk.call("publish_tone", freq_hz=TONE_HZ)
            peer = SdkPeer(server.ws_url, server.token("peer", room))
            await peer.connect()
            try:
                async with asyncio.timeout(20):
                    video = VideoWatch(await peer.subscribed_track("lkdesk", "camera")).start()
                    audio = AudioWatch(await peer.subscribed_track("lkdesk", "mic"), TONE_HZ)
                    audio.start()
                try:
                    yield host, lk, video, audio
                finally:
                    print("peer video:", await inbound_stats(video.track))
                    print("peer audio:", await inbound_stats(audio.track))
                    await video.aclose()
                    await audio.aclose()
            except BaseException:
                print(f"--- lkdesk agent log ---\n{lk.log_tail(60)}")
                raise
            finally:
                await peer.aclose()


async def sent_rates(lk: RemoteLkdesk, seconds: float, log: list[str]) -> list[tuple[float, int]]:
    """Sample lkdesk's sent media bitrate every second for ``seconds``."""
    rates: list[tuple[float, int]] = []
    previous = await lk.call("uplink_stats")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(1.0)
        now = await lk.call("uplink_stats")
        bps = int(
            (sent_media_bytes(now) - sent_media_bytes(previous)) * 8 / (now["t"] - previous["t"])
        )
        rates.append((now["t"], bps))
        uplink = now["uplink"]
        dt = now["t"] - previous["t"]
        layers = []
        for sid, track in now["tracks"].items():
            for old, layer in zip(previous["tracks"][sid]["layers"], track["layers"], strict=True):
                kbps = (layer["bytes_sent"] - old["bytes_sent"]) * 8 / dt / 1000
                keys = layer["keyframes"] - old["keyframes"]
                rtx = (layer["retransmitted_bytes"] - old["retransmitted_bytes"]) * 8 / dt / 1000
                state = "on" if layer["active"] else "off"
                layers.append(
                    f"{layer['rid'] or '-'}:{state}/{layer['bitrate'] // 1000}k>{kbps:.0f}k"
                    f"/{layer['frames_encoded'] - old['frames_encoded']}f/{keys}k/rtx{rtx:.0f}k"
                )
        skipped = sum(t["skipped_frames"] for t in now["tracks"].values())
        padding = (uplink["padding_bytes"] - previous["uplink"]["padding_bytes"]) * 8 / dt / 1000
        cpu = (now["cpu_s"] - previous["cpu_s"]) / dt
        log.append(
            f"t={now['t']:.1f} cpu={cpu:.0%} sent={bps // 1000}k "
            f"target={uplink['target_bps'] // 1000}k "
            f"audio={uplink['audio_bps'] // 1000}k backlog={uplink['backlog_s']:.2f}s "
            f"rtt={uplink['rtt_s'] * 1000:.0f}ms skip={skipped} pad={padding:.0f}k "
            f"{' '.join(layers)}"
        )
        previous = now
    return rates


async def test_capped_lossy_uplink_keeps_audio_and_video_and_bitrate_recovers(
    livekit_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    log: list[str] = []
    async with call(livekit_server, room_name, tmp_path) as (host, lk, video, audio):
        await sent_rates(lk, 6.0, log)  # uncapped: all layers up
        host.shape_uplink(CAP_KBIT)
        host.random_loss(LOSS)
        await sent_rates(lk, SETTLE_S, log)
        start = time.monotonic()
        before = await inbound_stats(audio.track)
        await sent_rates(lk, CAPPED_S, log)
        after = await inbound_stats(audio.track)
        end = time.monotonic()
        samples = after["total_samples_received"] - before["total_samples_received"]
        concealed = (after["concealed_samples"] - before["concealed_samples"]) / max(samples, 1)
        fps = video.fps(start, end)
        freeze = video.longest_gap(start, end)
        missing, frames = audio.missing(start, end, TONE_AMPLITUDE)
        sizes = sorted({f[1:] for f in video.between(start, end)})
        log.append(f"peer frames per second while capped: {video.timeline(start, end)}")
        host.unshape_uplink()
        lifted = time.monotonic()
        rates = await sent_rates(lk, RECOVERY_BOUND_S + 3, log)
        recovered_at = next((t for t, bps in rates if bps > RECOVERED_BPS), None)
    print("\n".join(log))
    print(
        f"capped: video {fps:.1f} fps, longest freeze {freeze:.2f} s, sizes {sizes}; audio "
        f"{missing}/{frames} 10 ms frames missing, {concealed:.1%} of samples concealed by "
        f"the peer's decoder; recovered after "
        f"{(recovered_at - lifted) if recovered_at else None} s"
    )
    assert frames > 0.8 * CAPPED_S * 100, f"only {frames} audio frames in {CAPPED_S} s"
    assert missing / frames < MAX_MISSING_AUDIO, f"{missing}/{frames} audio frames missing"
    # Opus concealment of a lost packet can pass for the tone, so libwebrtc's own count of
    # concealed samples must stay under the bound too.
    assert concealed < MAX_MISSING_AUDIO, f"{concealed:.1%} of audio samples concealed"
    assert fps >= MIN_FPS, f"video at {fps:.1f} fps under the cap"
    assert freeze <= MAX_FREEZE_S, f"video froze for {freeze:.2f} s under the cap"
    assert recovered_at is not None and recovered_at - lifted <= RECOVERY_BOUND_S, (
        f"sent video never above {RECOVERED_BPS // 1000} kbit/s within {RECOVERY_BOUND_S} s "
        f"of the cap lifting: {[bps // 1000 for _t, bps in rates]} kbit/s"
    )

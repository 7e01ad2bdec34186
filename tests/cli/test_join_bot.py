"""``lkdesk join`` as a bot against the real server and an official-SDK peer: it publishes a
clip the peer sees and hears, says hello in the chat, and records the peer's camera and
microphone to files that hold the peer's colour and tone."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.cli.tools import make_clip, read_audio, read_video, run_lkdesk
from tests.integration.analysis import dominant_frequency, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration

PEER_COLOR, PEER_TONE = (40, 200, 90), 660.0
CLIP_COLOR, CLIP_TONE = (30, 60, 220), 880.0


def close(color: Any, expected: tuple[int, int, int]) -> bool:
    return max(abs(c - e) for c, e in zip(color, expected, strict=True)) < 30


async def test_a_bot_publishes_a_clip_says_hello_and_records_the_peer(
    livekit_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    server = livekit_server
    clip = tmp_path / "clip.mp4"
    await asyncio.to_thread(make_clip, clip, CLIP_COLOR, CLIP_TONE, 2.0)
    record = tmp_path / "rec"
    heard: list[str] = []

    async with SdkPeer(server.ws_url, server.token("peer", room_name)) as peer:

        def on_text(reader: Any, _identity: str) -> None:
            async def read() -> None:
                heard.append(await reader.read_all())

            readers.add(asyncio.get_running_loop().create_task(read()))

        readers: set[asyncio.Task[None]] = set()
        peer.room.register_text_stream_handler("lk.chat", on_text)
        await peer.publish_video(color=PEER_COLOR)
        await peer.publish_tone(PEER_TONE)
        bot = asyncio.create_task(
            run_lkdesk(
                "join", server.ws_url, "--token", server.token("bot", room_name),
                "--publish-file", str(clip), "--record", str(record),
                "--say", "hello from the bot", "--duration", "9",
            )
        )  # fmt: skip
        try:
            async with asyncio.timeout(30):
                video = await peer.subscribed_track("bot", "camera")
                frames = await peer.collect_video(video, frames=10)
                audio = await peer.subscribed_track("bot", "microphone")
                await peer.collect_audio(audio, seconds=0.5)
                tone = await peer.collect_audio(audio, seconds=1.0)
            done = await bot
        finally:
            if not bot.done():
                bot.cancel()
        await asyncio.gather(*readers)

    assert done.code == 0, done.err
    assert "hello from the bot" in heard
    seen = mean_color(frames[-1].rgb)
    assert close(seen, CLIP_COLOR), f"the peer saw {seen} of the clip's {CLIP_COLOR}"
    assert abs(dominant_frequency(tone, 48_000) - CLIP_TONE) < 10

    files = sorted(Path(line) for line in done.out.split())
    assert [f.name for f in files] == ["peer-camera.mkv", "peer-microphone.ogg"], done.err
    pictures = read_video(files[0])
    assert len(pictures) > 30, f"only {len(pictures)} frames recorded"
    middle = np.asarray(pictures[len(pictures) // 2])
    h, w = middle.shape[:2]
    recorded = mean_color(middle[h // 8 : h // 2, w // 8 : 7 * w // 8])  # above the counter
    assert close(recorded, PEER_COLOR), f"the recording shows {recorded}, not {PEER_COLOR}"
    sound = read_audio(files[1])
    assert sound.size > 48_000 * 3, f"only {sound.size / 48_000:.1f} s of audio recorded"
    heard_hz = dominant_frequency(sound[48_000 : 48_000 * 3], 48_000)
    assert abs(heard_hz - PEER_TONE) < 10, f"the recording's tone is {heard_hz:.0f} Hz"
    assert "recording peer's camera" in done.err and "publishing clip.mp4" in done.err

"""Child process for benchmarks: N official-SDK peers replaying pre-encoded VP8 (cheap).

    python -m bench.encoded_publishers URL ROOM COUNT [WIDTHxHEIGHT] [--audio] [--chat-every S]

A two-second moving clip is encoded once (libvpx through PyAV, a keyframe every second)
and every peer replays its access units through the SDK's ``EncodedVideoSource``, so the
publishers cost a few percent of a core instead of nine live encoders: the process that
receives is what a benchmark measures. A peer answers a keyframe request by jumping to the
next keyframe of the clip. Prints ``ready`` once all peers publish; runs until its
standard input closes, so the parent's exit always ends it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from livekit import api
from livekit import rtc as sdk

FPS = 30
CLIP_FRAMES = 2 * FPS
GOP = FPS
VERBOSE = bool(os.environ.get("LKDESK_BENCH_VERBOSE"))


@dataclass(frozen=True)
class Unit:
    data: bytes
    key: bool


def moving_picture(n: int, width: int, height: int, hue: int) -> np.ndarray:
    """A scrolling diagonal gradient with a moving bar: real work for the decoder."""
    y, x = np.mgrid[0:height, 0:width]
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[..., 0] = (x + 4 * n + hue) % 256
    frame[..., 1] = (y + 2 * n) % 256
    frame[..., 2] = (x + y + hue) % 256
    bar = (n * 11) % max(width - 40, 1)
    frame[:, bar : bar + 40] = 255
    return frame


def encode_clip(width: int, height: int, hue: int) -> list[Unit]:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = Fraction(1, FPS)
    codec.bit_rate = 600_000
    codec.gop_size = GOP
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    units: list[Unit] = []
    for n in range(CLIP_FRAMES):
        frame = av.VideoFrame.from_ndarray(moving_picture(n, width, height, hue), format="rgb24")
        frame = frame.reformat(format="yuv420p")
        frame.pts = n
        if n % GOP == 0:
            frame.pict_type = av.video.frame.PictureType.I
        units += [Unit(bytes(p), p.is_keyframe) for p in codec.encode(frame)]
    units += [Unit(bytes(p), p.is_keyframe) for p in codec.encode(None)]
    if not units[0].key:
        raise RuntimeError("the clip does not start with a keyframe")
    return units


async def speak(source: sdk.AudioSource, index: int) -> None:
    """A quiet tone in 10 ms frames, paced by the source's own queue."""
    t = np.arange(480) / 48_000
    n = 0
    while True:
        phase = 2 * np.pi * (220 + 40 * index) * (t + n * 0.01)
        samples = (2000 * np.sin(phase)).astype(np.int16)
        await source.capture_frame(sdk.AudioFrame(samples.tobytes(), 48_000, 1, 480))
        n += 1


async def chat(room: sdk.Room, every_s: float, index: int) -> None:
    n = 0
    while True:
        await asyncio.sleep(every_s)
        n += 1
        await room.local_participant.send_text(f"message {n} from peer {index}", topic="lk.chat")


async def publish(
    url: str,
    room_name: str,
    index: int,
    units: list[Unit],
    size: tuple[int, int],
    audio: bool = False,
    chat_every: float = 0.0,
) -> tuple[sdk.Room, asyncio.Task[None]]:
    width, height = size
    token = (
        api.AccessToken("devkey", "secret")
        .with_identity(f"pub-{index}")
        .with_name(f"Publisher {index + 1}")
        .with_grants(api.VideoGrants(room_join=True, room=room_name))
        .to_jwt()
    )
    room = sdk.Room()
    await room.connect(url, token)
    source = sdk.EncodedVideoSource(width, height)
    track = sdk.LocalVideoTrack.create_video_track("camera", source)
    options = sdk.TrackPublishOptions(
        source=sdk.TrackSource.SOURCE_CAMERA,
        video_codec=sdk.VideoCodec.VP8,
        video_encoder=sdk.VideoEncoderBackend.ENCODER_BACKEND_PRE_ENCODED,
        simulcast=False,
    )
    await room.local_participant.publish_track(track, options)
    keys = [i for i, unit in enumerate(units) if unit.key]

    async def produce() -> None:
        start, n, i = time.monotonic(), 0, 0
        while True:
            feedback = source.take_feedback()
            if feedback.keyframe_requested:
                i = next((k for k in keys if k >= i), 0)
            if feedback.rate_control is not None and VERBOSE:
                print(f"pub-{index} {feedback.rate_control}", file=sys.stderr)
            unit = units[i % len(units)]
            kind = (
                sdk.EncodedFrameType.ENCODED_FRAME_KEY
                if unit.key
                else (sdk.EncodedFrameType.ENCODED_FRAME_DELTA)
            )
            source.capture_frame(
                sdk.EncodedVideoFrame(
                    unit.data, width, height, sdk.VideoCodec.VP8, kind, n * 1_000_000 // FPS
                )
            )
            n, i = n + 1, (i + 1) % len(units)
            await asyncio.sleep(max(0.0, start + n / FPS - time.monotonic()))

    async def run() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(produce())
            if audio:
                mic = sdk.AudioSource(48_000, 1)
                track = sdk.LocalAudioTrack.create_audio_track("microphone", mic)
                options = sdk.TrackPublishOptions(source=sdk.TrackSource.SOURCE_MICROPHONE)
                await room.local_participant.publish_track(track, options)
                group.create_task(speak(mic, index))
            if chat_every > 0:
                group.create_task(chat(room, chat_every, index))

    return room, asyncio.create_task(run())


async def main(
    url: str, room_name: str, count: int, size: tuple[int, int], audio: bool, chat_every: float
) -> None:
    clip = encode_clip(*size, hue=0)  # one clip: every peer costs the receiver the same
    peers = [await publish(url, room_name, i, clip, size, audio, chat_every) for i in range(count)]
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for room, task in peers:
        task.cancel()
        await room.disconnect()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("room")
    parser.add_argument("count", type=int)
    parser.add_argument("size", nargs="?", default="640x360")
    parser.add_argument("--audio", action="store_true")
    parser.add_argument("--chat-every", type=float, default=0.0)
    a = parser.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    asyncio.run(main(a.url, a.room, a.count, (w, h), a.audio, a.chat_every))

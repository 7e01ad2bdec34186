"""Publishing cost and latency: lkdesk vs the official Python SDK as the *publisher*.

Run inside the test sandbox (real server, private network namespace):
    bash tests/sandbox/run-in-sandbox.sh .venv/bin/python -m bench.publish_cost

For each size and client, a publisher runs in its own subprocess (``--role publisher``) and
sends the same synthetic source: VP8 camera video at 30 fps (solid colour with a frame
counter, tests/integration/analysis.py) and 48 kHz mono audio (silence with a 60 ms 1 kHz
burst every second). The frames are pre-rendered into a small ring of buffers so that
producing them costs the same, almost nothing, for both clients. The publisher logs when it
pushed each frame and burst, and its own CPU time (all threads, ``getrusage``) over a
steady-state window that skips the first ``--skip`` seconds. An SDK receiver in this process
decodes the counters and detects the bursts; the two processes share CLOCK_MONOTONIC, so
capture-to-decode and mouth-to-ear latencies are plain differences.

``--camera`` starts from what a camera delivers instead: the ring holds BGR pictures (as
OpenCV reads them) and each frame is converted in the publisher as each client's camera path
does: lkdesk through ``lkdesk.media.camera.captured_frame``, the SDK app with
``cv2.cvtColor`` to RGB24 (the SDK then converts to I420 natively).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from tests.integration.analysis import COUNTER_ROWS, decode_counter, make_frame

FPS = 30
RATE = 48_000
AUDIO_FRAME = RATE // 100  # 10 ms
BURST_FRAMES = 6  # 60 ms
BURST_PERIOD_FRAMES = 100  # every 1 s
BURST_AMPLITUDE = 0.5
LOUD_DB = -30.0  # a 10 ms window above this RMS level is part of a burst
ONSET_LEVEL = 0.05 * 32768  # the onset is the first sample above this in that window
REARM_WINDOWS = 20  # 200 ms of quiet before the next onset may be detected
RING = 8  # frame buffers reused round-robin (a buffer is rewritten 8 frames later)
COLOR = (40, 160, 220)
SIZES = ("640x480", "1280x720")
CLIENTS = ("lkdesk", "sdk")


def parse_size(size: str) -> tuple[int, int]:
    w, h = size.split("x")
    return int(w), int(h)


# -- publisher (child process) -------------------------------------------------------------


class FrameRing:
    """Pre-rendered RGB24 (or BGR24) frames; only the counter band is rewritten per frame."""

    def __init__(self, width: int, height: int, *, bgr: bool = False) -> None:
        self.width = width
        self.height = height
        self.order = slice(None, None, -1) if bgr else slice(None)
        first = make_frame(COLOR, 0, width, height)[..., self.order]
        self.frames = [np.ascontiguousarray(first) for _ in range(RING)]

    def frame(self, counter: int) -> npt.NDArray[np.uint8]:
        frame = self.frames[counter % RING]
        band = make_frame(COLOR, counter, self.width, COUNTER_ROWS + 1)[1:]
        frame[self.height - COUNTER_ROWS :] = band[..., self.order]
        return frame


def audio_frames() -> tuple[npt.NDArray[np.int16], list[npt.NDArray[np.int16]]]:
    """(silence, the burst's 10 ms frames), each of shape (480, 1)."""
    t = np.arange(BURST_FRAMES * AUDIO_FRAME) / RATE
    burst = (BURST_AMPLITUDE * 32767 * np.sin(2 * math.pi * 1000 * t)).astype(np.int16)
    frames = [burst[i * AUDIO_FRAME : (i + 1) * AUDIO_FRAME, None] for i in range(BURST_FRAMES)]
    return np.zeros((AUDIO_FRAME, 1), np.int16), frames


@dataclass
class Publisher:
    room: Any
    push_video: Callable[[npt.NDArray[np.uint8], int], None]
    push_audio: Callable[[npt.NDArray[np.int16]], Awaitable[None]]


async def connect_lkdesk(url: str, token: str, width: int, height: int, camera: bool) -> Publisher:
    from lkdesk import rtc as lk
    from lkdesk.media.camera import captured_frame

    room = lk.Room()
    await room.connect(url, token)
    vsrc = lk.VideoSource(width, height)
    asrc = lk.AudioSource(RATE, 1)

    def push_video(picture: npt.NDArray[np.uint8], stamp_us: int) -> None:
        if camera:
            frame = captured_frame(picture)
        else:
            frame = lk.VideoFrame(width, height, lk.VideoFormat.RGB24, picture)
        vsrc.capture_frame(frame, timestamp_us=stamp_us)

    async def push_audio(pcm: npt.NDArray[np.int16]) -> None:
        await asrc.capture_frame(lk.AudioFrame(pcm, RATE, 1))

    local = room.local_participant
    await local.publish_track(
        lk.LocalVideoTrack.create_video_track("camera", vsrc),
        lk.TrackPublishOptions(source=lk.TrackSource.SOURCE_CAMERA),
    )
    await local.publish_track(
        lk.LocalAudioTrack.create_audio_track("mic", asrc),
        lk.TrackPublishOptions(source=lk.TrackSource.SOURCE_MICROPHONE),
    )
    return Publisher(room, push_video, push_audio)


async def connect_sdk(url: str, token: str, width: int, height: int, camera: bool) -> Publisher:
    from livekit import rtc as sdk

    room = sdk.Room()
    await room.connect(url, token)
    vsrc = sdk.VideoSource(width, height)
    asrc = sdk.AudioSource(RATE, 1)

    def push_video(picture: npt.NDArray[np.uint8], stamp_us: int) -> None:
        rgb = cv2.cvtColor(picture, cv2.COLOR_BGR2RGB) if camera else picture
        frame = sdk.VideoFrame(width, height, sdk.VideoBufferType.RGB24, memoryview(rgb.ravel()))
        vsrc.capture_frame(frame, timestamp_us=stamp_us)

    async def push_audio(pcm: npt.NDArray[np.int16]) -> None:
        await asrc.capture_frame(sdk.AudioFrame(memoryview(pcm.ravel()), RATE, 1, pcm.shape[0]))

    local = room.local_participant
    await local.publish_track(
        sdk.LocalVideoTrack.create_video_track("camera", vsrc),
        sdk.TrackPublishOptions(
            source=sdk.TrackSource.SOURCE_CAMERA, video_codec=sdk.VideoCodec.VP8, simulcast=False
        ),
    )
    await local.publish_track(
        sdk.LocalAudioTrack.create_audio_track("mic", asrc),
        sdk.TrackPublishOptions(source=sdk.TrackSource.SOURCE_MICROPHONE),
    )
    return Publisher(room, push_video, push_audio)


async def sleep_until(when: float) -> None:
    await asyncio.sleep(max(0.0, when - time.monotonic()))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def write_log(path: str, log: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(log))


async def run_publisher(args: argparse.Namespace) -> None:
    width, height = parse_size(args.size)
    ring = FrameRing(width, height, bgr=args.camera)
    silence, burst = audio_frames()
    connect = connect_lkdesk if args.client == "lkdesk" else connect_sdk
    pub = await asyncio.wait_for(connect(args.url, args.token, width, height, args.camera), 30)
    frames: list[tuple[int, float]] = []
    bursts: list[float] = []
    start = time.monotonic() + 0.05

    async def video() -> None:
        n = 0
        while True:
            await sleep_until(start + n / FPS)
            now = time.monotonic()
            pub.push_video(ring.frame(n), int(now * 1e6))
            frames.append((n, now))
            n += 1

    async def audio() -> None:
        k = 0
        while True:
            await sleep_until(start + k / 100)
            phase = k % BURST_PERIOD_FRAMES
            if phase == 0:
                bursts.append(time.monotonic())
            await pub.push_audio(burst[phase] if phase < BURST_FRAMES else silence)
            k += 1

    tasks = [asyncio.create_task(video()), asyncio.create_task(audio())]
    await sleep_until(start + args.skip)
    wall0, cpu0 = time.monotonic(), cpu_seconds()
    await sleep_until(start + args.seconds)
    wall1, cpu1 = time.monotonic(), cpu_seconds()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    log = {
        "client": args.client,
        "size": args.size,
        "window": [wall0, wall1],
        "cpu_s": cpu1 - cpu0,
        "frames": frames,
        "bursts": bursts,
    }
    write_log(args.log, log)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(pub.room.disconnect(), 10)


# -- receiver and driver (parent process) --------------------------------------------------


@dataclass
class Received:
    video: list[tuple[float, int, int]] = field(default_factory=list)  # (time, counter, width)
    onsets: list[float] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


async def read_video(sdk: Any, track: Any, rec: Received) -> None:
    stream = sdk.VideoStream(track, format=sdk.VideoBufferType.RGB24)
    try:
        async for event in stream:
            now = time.monotonic()
            frame = event.frame
            rgb = np.frombuffer(frame.data, dtype=np.uint8).reshape(frame.height, frame.width, 3)
            rec.video.append((now, decode_counter(rgb), frame.width))
    finally:
        await stream.aclose()


async def read_audio(sdk: Any, track: Any, rec: Received) -> None:
    stream = sdk.AudioStream(track, sample_rate=RATE, num_channels=1)
    quiet = 0
    try:
        async for event in stream:
            now = time.monotonic()
            pcm = np.frombuffer(event.frame.data, dtype=np.int16)
            for off in range(0, pcm.size, AUDIO_FRAME):
                window = pcm[off : off + AUDIO_FRAME].astype(np.float64)
                rms = math.sqrt(float(np.mean(window * window))) / 32768 if window.size else 0.0
                if rms <= 10 ** (LOUD_DB / 20):
                    quiet += 1
                    continue
                if quiet >= REARM_WINDOWS:
                    loud = np.flatnonzero(np.abs(window) > ONSET_LEVEL)
                    first = off + (int(loud[0]) if loud.size else 0)
                    # The chunk starts playing when it arrives; the onset `first` samples later.
                    rec.onsets.append(now + first / RATE)
                quiet = 0
    finally:
        await stream.aclose()


@dataclass
class Result:
    client: str
    size: str
    cpu_pct: float
    fps: float
    video_ms: list[float]
    audio_ms: list[float]
    bursts: int
    bad_counters: int
    full_res: float  # fraction of received frames at the published resolution


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def analyse(log: dict[str, Any], rec: Received) -> Result:
    t0, t1 = log["window"]
    pushed = {int(n): float(t) for n, t in log["frames"]}
    width = parse_size(log["size"])[0]
    in_window = [w for t, _, w in rec.video if t0 <= t < t1]
    seen: dict[int, float] = {}
    bad = 0
    for t, n, _ in rec.video:
        if n not in pushed or not 0 <= t - pushed[n] < 2.0:
            bad += 1
        elif n not in seen:
            seen[n] = t
    video_ms = [(seen[n] - t) * 1000 for n, t in pushed.items() if t0 <= t < t1 and n in seen]
    bursts = [b for b in log["bursts"] if t0 <= b < t1 - 0.5]
    audio_ms = []
    for b in bursts:
        later = [r for r in rec.onsets if b <= r < b + 0.9]
        if later:
            audio_ms.append((later[0] - b) * 1000)
    return Result(
        log["client"],
        log["size"],
        100 * log["cpu_s"] / (t1 - t0),
        len(in_window) / (t1 - t0),
        video_ms,
        audio_ms,
        len(bursts),
        bad,
        sum(w == width for w in in_window) / max(len(in_window), 1),
    )


async def run_one(
    server: Any, sdk: Any, receivers: dict[str, Received], client: str, size: str, args: Any
) -> Result:
    identity = f"{client}-{size}"
    rec = receivers[identity] = Received()
    workdir = Path(tempfile.mkdtemp(prefix="publish-cost-"))
    log_path, out_path = workdir / "log.json", workdir / "out.txt"
    cmd = [sys.executable, "-m", "bench.publish_cost", "--role", "publisher"]
    cmd += ["--client", client, "--size", size, "--seconds", str(args.seconds)]
    cmd += ["--skip", str(args.skip), "--log", str(log_path)]
    cmd += ["--camera"] if args.camera else []
    cmd += ["--url", server.ws_url, "--token", server.token(identity, "bench-publish")]
    with out_path.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(*cmd, stdout=out, stderr=out)
        try:
            await asyncio.wait_for(proc.wait(), args.seconds + 45)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    await asyncio.sleep(0.3)  # let the receiver drain its queues
    for task in rec.tasks:
        task.cancel()
    await asyncio.gather(*rec.tasks, return_exceptions=True)
    return collect(workdir, proc.returncode, rec, identity)


def collect(workdir: Path, returncode: int | None, rec: Received, who: str) -> Result:
    log_path, out_path = workdir / "log.json", workdir / "out.txt"
    if returncode != 0 or not log_path.exists():
        raise RuntimeError(f"{who} publisher failed ({returncode}):\n{out_path.read_text()}")
    result = analyse(json.loads(log_path.read_text()), rec)
    shutil.rmtree(workdir)
    return result


def row(r: Result) -> str:
    return (
        f"| {r.client:6s} | {r.size:8s} | {r.cpu_pct:5.1f} | {r.fps:5.1f} | "
        f"{pct(r.video_ms, 50):6.1f} | {pct(r.video_ms, 95):6.1f} | "
        f"{pct(r.audio_ms, 50):6.1f} ({len(r.audio_ms)}/{r.bursts}) |"
        + (f" {r.bad_counters} bad counters" if r.bad_counters else "")
        + (f" {100 * r.full_res:.0f}% at full size" if r.full_res < 1 else "")
    )


async def main(args: argparse.Namespace) -> None:
    from livekit import rtc as sdk

    from tests.integration.livekit_server import LiveKitServer

    print(f"load average before the run: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
    server = LiveKitServer.create()
    server.start()
    receiver = sdk.Room()
    receivers: dict[str, Received] = {}

    def on_subscribed(track: Any, _pub: Any, participant: Any) -> None:
        rec = receivers.get(participant.identity)
        if rec is None:
            return
        reader = read_video if track.kind == sdk.TrackKind.KIND_VIDEO else read_audio
        rec.tasks.append(asyncio.create_task(reader(sdk, track, rec)))

    receiver.on("track_subscribed", on_subscribed)
    results: list[Result] = []
    try:
        await receiver.connect(server.ws_url, server.token("receiver", "bench-publish"))
        for i, size in enumerate(args.sizes):
            clients = CLIENTS if i % 2 == 0 else CLIENTS[::-1]
            for client in clients:
                results.append(await run_one(server, sdk, receivers, client, size, args))
                print(row(results[-1]), flush=True)
    finally:
        for rec in receivers.values():
            for task in rec.tasks:
                task.cancel()
            await asyncio.gather(*rec.tasks, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(receiver.disconnect(), 10)
        server.stop()
    print()
    print(
        "| client | size | CPU % of one core | received fps | video p50 ms | video p95 ms "
        "| audio p50 ms (n/bursts) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in sorted(results, key=lambda r: (SIZES.index(r.size), CLIENTS.index(r.client))):
        print(row(r))
    print()
    for size in args.sizes:
        by = {r.client: r for r in results if r.size == size}
        lk, sd = by["lkdesk"], by["sdk"]
        print(
            f"ratio lkdesk/sdk {size}: CPU {lk.cpu_pct / sd.cpu_pct:.2f}x "
            f"(per received frame {lk.cpu_pct / lk.fps / (sd.cpu_pct / sd.fps):.2f}x), "
            f"fps {lk.fps / sd.fps:.2f}x, "
            f"video p50 {pct(lk.video_ms, 50) / pct(sd.video_ms, 50):.2f}x, "
            f"p95 {pct(lk.video_ms, 95) / pct(sd.video_ms, 95):.2f}x, "
            f"audio p50 {pct(lk.audio_ms, 50) / pct(sd.audio_ms, 50):.2f}x"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--role", choices=("driver", "publisher"), default="driver")
    parser.add_argument("--client", choices=CLIENTS, default="lkdesk")
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--sizes", nargs="+", default=list(SIZES))
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--skip", type=float, default=3.0)
    parser.add_argument("--log", default=os.devnull)
    parser.add_argument("--url", default="")
    parser.add_argument("--token", default="")
    parser.add_argument("--camera", action="store_true", help="start from BGR, as a camera")
    parsed = parser.parse_args()
    asyncio.run(run_publisher(parsed) if parsed.role == "publisher" else main(parsed))

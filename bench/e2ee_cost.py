"""CPU cost of end-to-end encryption at 720p30: lkdesk with and without it, and the SDK.

Run inside the test sandbox (real server, private network namespace):
    bash tests/sandbox/run-in-sandbox.sh .venv/bin/python -m bench.e2ee_cost

Send: a child process publishes 1280x720 VP8 at 30 fps (bench.publish_cost's pre-rendered
colour + counter frames) plus 48 kHz mono audio; an official-SDK receiver here, keyed the
same way, counts the frames it decodes. Receive: an SDK publisher here sends the same
720p30 stream; a child process subscribes and decodes it to RGB. Either way the child's CPU
time (all threads, ``getrusage``) over a steady window is the figure; the run is repeated
for lkdesk and the SDK, each without and with a shared passphrase (PBKDF2, as LiveKit Meet).
The pure cost of one frame's AES-GCM is measured too, for scale.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.publish_cost import FPS, RATE, FrameRing, cpu_seconds, sleep_until

PASSPHRASE = "bench passphrase"
WIDTH, HEIGHT = 1280, 720
CLIENTS = ("lkdesk", "sdk")
ROOM = "bench-e2ee"


def sdk_encryption(sdk: Any) -> Any:
    keys = sdk.KeyProviderOptions(shared_key=PASSPHRASE.encode(), ratchet_window_size=0)
    return sdk.E2EEOptions(key_provider_options=keys)


# -- child processes ---------------------------------------------------------------------------


async def child_publish(args: argparse.Namespace) -> dict[str, Any]:
    ring = FrameRing(WIDTH, HEIGHT)
    silence = np.zeros((RATE // 100, 1), np.int16)
    if args.client == "lkdesk":
        from lkdesk import rtc as lk
        from lkdesk.rtc.e2ee import passphrase_options

        room: Any = lk.Room()
        options = lk.RoomOptions(encryption=passphrase_options(PASSPHRASE) if args.e2ee else None)
        await room.connect(args.url, args.token, options)
        vsrc, asrc = lk.VideoSource(WIDTH, HEIGHT), lk.AudioSource(RATE, 1)
        await room.local_participant.publish_track(
            lk.LocalVideoTrack.create_video_track("camera", vsrc),
            lk.TrackPublishOptions(source=lk.TrackSource.SOURCE_CAMERA),
        )
        await room.local_participant.publish_track(
            lk.LocalAudioTrack.create_audio_track("mic", asrc),
            lk.TrackPublishOptions(source=lk.TrackSource.SOURCE_MICROPHONE),
        )

        def push_video(n: int) -> None:
            vsrc.capture_frame(lk.VideoFrame(WIDTH, HEIGHT, lk.VideoFormat.RGB24, ring.frame(n)))

        async def push_audio() -> None:
            await asrc.capture_frame(lk.AudioFrame(silence, RATE, 1))
    else:
        from livekit import rtc as sdk

        room = sdk.Room()
        options = sdk.RoomOptions(encryption=sdk_encryption(sdk) if args.e2ee else None)
        await room.connect(args.url, args.token, options)
        vsrc, asrc = sdk.VideoSource(WIDTH, HEIGHT), sdk.AudioSource(RATE, 1)
        await room.local_participant.publish_track(
            sdk.LocalVideoTrack.create_video_track("camera", vsrc),
            sdk.TrackPublishOptions(
                source=sdk.TrackSource.SOURCE_CAMERA,
                video_codec=sdk.VideoCodec.VP8,
                simulcast=False,
            ),
        )
        await room.local_participant.publish_track(
            sdk.LocalAudioTrack.create_audio_track("mic", asrc),
            sdk.TrackPublishOptions(source=sdk.TrackSource.SOURCE_MICROPHONE),
        )

        def push_video(n: int) -> None:
            data = memoryview(ring.frame(n).ravel())
            vsrc.capture_frame(sdk.VideoFrame(WIDTH, HEIGHT, sdk.VideoBufferType.RGB24, data))

        async def push_audio() -> None:
            pcm = memoryview(silence.ravel())
            await asrc.capture_frame(sdk.AudioFrame(pcm, RATE, 1, silence.shape[0]))

    start = time.monotonic() + 0.05

    async def video() -> None:
        n = 0
        while True:
            await sleep_until(start + n / FPS)
            push_video(n)
            n += 1

    async def audio() -> None:
        k = 0
        while True:
            await sleep_until(start + k / 100)
            await push_audio()
            k += 1

    tasks = [asyncio.create_task(video()), asyncio.create_task(audio())]
    log = await measure(args, lambda: 0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(room.disconnect(), 10)
    return log


async def child_subscribe(args: argparse.Namespace) -> dict[str, Any]:
    frames = 0
    if args.client == "lkdesk":
        from lkdesk import rtc as lk
        from lkdesk.rtc.e2ee import passphrase_options

        room: Any = lk.Room()
        options = lk.RoomOptions(encryption=passphrase_options(PASSPHRASE) if args.e2ee else None)
        subscribed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        room.on(
            "track_subscribed",
            lambda t, _p, _o: (
                subscribed.done() or t.kind != lk.TrackKind.KIND_VIDEO or subscribed.set_result(t)
            ),
        )
        await room.connect(args.url, args.token, options)
        stream: Any = lk.VideoStream(await asyncio.wait_for(subscribed, 30))
    else:
        from livekit import rtc as sdk

        room = sdk.Room()
        options = sdk.RoomOptions(encryption=sdk_encryption(sdk) if args.e2ee else None)
        subscribed = asyncio.get_running_loop().create_future()
        room.on(
            "track_subscribed",
            lambda t, _p, _o: (
                subscribed.done() or t.kind != sdk.TrackKind.KIND_VIDEO or subscribed.set_result(t)
            ),
        )
        await room.connect(args.url, args.token, options)
        track = await asyncio.wait_for(subscribed, 30)
        stream = sdk.VideoStream(track, format=sdk.VideoBufferType.RGB24)

    async def drain() -> None:
        nonlocal frames
        async for _event in stream:
            frames += 1

    task = asyncio.create_task(drain())
    log = await measure(args, lambda: frames)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await stream.aclose()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(room.disconnect(), 10)
    return log


async def measure(args: argparse.Namespace, count: Any) -> dict[str, Any]:
    await asyncio.sleep(args.skip)
    wall0, cpu0, n0 = time.monotonic(), cpu_seconds(), count()
    await asyncio.sleep(args.seconds - args.skip)
    wall1, cpu1, n1 = time.monotonic(), cpu_seconds(), count()
    return {"window": [wall0, wall1], "cpu_s": cpu1 - cpu0, "frames": n1 - n0}


# -- driver ------------------------------------------------------------------------------------


async def run_child(server: Any, role: str, client: str, e2ee: bool, args: Any) -> dict[str, Any]:
    identity = f"{role}-{client}-{int(e2ee)}"
    workdir = Path(tempfile.mkdtemp(prefix="e2ee-cost-"))
    log_path, out_path = workdir / "log.json", workdir / "out.txt"
    cmd = [sys.executable, "-m", "bench.e2ee_cost", "--role", role, "--client", client]
    cmd += ["--e2ee", str(int(e2ee)), "--seconds", str(args.seconds), "--skip", str(args.skip)]
    cmd += ["--log", str(log_path), "--url", server.ws_url]
    cmd += ["--token", server.token(identity, f"{ROOM}-{role}-{int(e2ee)}")]
    with out_path.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(*cmd, stdout=out, stderr=out)
        try:
            await asyncio.wait_for(proc.wait(), args.seconds + 60)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    if proc.returncode != 0 or not log_path.exists():
        raise RuntimeError(f"{identity} failed ({proc.returncode}):\n{out_path.read_text()}")
    log: dict[str, Any] = json.loads(log_path.read_text())
    shutil.rmtree(workdir)
    return log


async def main(args: argparse.Namespace) -> None:
    from livekit import rtc as sdk

    from tests.integration.livekit_server import LiveKitServer

    print(f"load average before the run: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
    crypto_cost()
    server = LiveKitServer.create()
    server.start()
    results: Results = {}
    try:
        for e2ee in (False, True):
            await send_phase(server, sdk, e2ee, args, results)
            await receive_phase(server, sdk, e2ee, args, results)
    finally:
        server.stop()
    summary(results)


Results = dict[tuple[str, str, bool], tuple[float, float]]


async def send_phase(server: Any, sdk: Any, e2ee: bool, args: Any, results: Results) -> None:
    """A child publishes; an SDK receiver here counts the frames it decodes."""
    watcher = sdk.Room()
    seen: dict[str, list[float]] = {}
    readers: list[asyncio.Task[None]] = []

    async def count(track: Any, who: str) -> None:
        async for _ in sdk.VideoStream(track):
            seen.setdefault(who, []).append(time.monotonic())  # the child's clock too

    def on_track(track: Any, _pub: Any, participant: Any) -> None:
        if track.kind == sdk.TrackKind.KIND_VIDEO:
            readers.append(asyncio.create_task(count(track, participant.identity)))

    watcher.on("track_subscribed", on_track)
    options = sdk.RoomOptions(encryption=sdk_encryption(sdk) if e2ee else None)
    room = f"{ROOM}-publish-{int(e2ee)}"
    await watcher.connect(server.ws_url, server.token("watcher", room), options)
    try:
        for client in CLIENTS:
            log = await run_child(server, "publish", client, e2ee, args)
            t0, t1 = log["window"]
            arrived = seen.get(f"publish-{client}-{int(e2ee)}", [])
            fps = sum(t0 <= t < t1 for t in arrived) / (t1 - t0)
            results[("send", client, e2ee)] = (100 * log["cpu_s"] / (t1 - t0), fps)
            report("send", client, e2ee, results)
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await watcher.disconnect()


async def receive_phase(server: Any, sdk: Any, e2ee: bool, args: Any, results: Results) -> None:
    """An SDK publisher here; a child subscribes and decodes to RGB."""
    options = sdk.RoomOptions(encryption=sdk_encryption(sdk) if e2ee else None)
    source = sdk.Room()
    room = f"{ROOM}-subscribe-{int(e2ee)}"
    await source.connect(server.ws_url, server.token("source", room), options)
    vsrc = sdk.VideoSource(WIDTH, HEIGHT)
    await source.local_participant.publish_track(
        sdk.LocalVideoTrack.create_video_track("camera", vsrc),
        sdk.TrackPublishOptions(
            source=sdk.TrackSource.SOURCE_CAMERA, video_codec=sdk.VideoCodec.VP8, simulcast=False
        ),
    )
    pump = asyncio.create_task(publish_frames(sdk, vsrc))
    try:
        for client in CLIENTS:
            log = await run_child(server, "subscribe", client, e2ee, args)
            span = log["window"][1] - log["window"][0]
            results[("receive", client, e2ee)] = (100 * log["cpu_s"] / span, log["frames"] / span)
            report("receive", client, e2ee, results)
    finally:
        pump.cancel()
        await asyncio.gather(pump, return_exceptions=True)
        await source.disconnect()


async def publish_frames(sdk: Any, vsrc: Any) -> None:
    ring = FrameRing(WIDTH, HEIGHT)
    start, n = time.monotonic(), 0
    while True:
        await sleep_until(start + n / FPS)
        data = memoryview(ring.frame(n).ravel())
        vsrc.capture_frame(sdk.VideoFrame(WIDTH, HEIGHT, sdk.VideoBufferType.RGB24, data))
        n += 1


def report(direction: str, client: str, e2ee: bool, results: Results) -> None:
    cpu, extra = results[(direction, client, e2ee)]
    what = "fps the SDK decoded" if direction == "send" else "fps decoded"
    print(f"{direction:7s} {client:6s} e2ee={e2ee!s:5s} CPU {cpu:5.1f} % · {what} {extra:.1f}")


def summary(results: Results) -> None:
    """CPU %, and CPU per delivered frame (a starved run encodes fewer frames)."""
    print("\n| direction | client | CPU % (fps) plain | CPU % (fps) E2EE | E2EE/plain, per frame |")
    print("|---|---|---|---|---|")
    per_frame = {key: cpu / max(fps, 0.1) for key, (cpu, fps) in results.items()}
    for direction in ("send", "receive"):
        for client in CLIENTS:
            c0, f0 = results[(direction, client, False)]
            c1, f1 = results[(direction, client, True)]
            ratio = per_frame[(direction, client, True)] / per_frame[(direction, client, False)]
            print(
                f"| {direction} | {client} | {c0:.1f} ({f0:.1f}) | {c1:.1f} ({f1:.1f}) "
                f"| {c1 / c0:.2f}×, {ratio:.2f}× |"
            )
    for direction in ("send", "receive"):
        lk, sd = per_frame[(direction, "lkdesk", True)], per_frame[(direction, "sdk", True)]
        print(f"{direction}: lkdesk E2EE / SDK E2EE, CPU per frame = {lk / sd:.2f}×")


def crypto_cost() -> None:
    """What the encryption itself costs per 720p frame (AES-GCM in ``cryptography``)."""
    from lkdesk.rtc.e2ee import frames
    from lkdesk.rtc.e2ee.keys import KeySet
    from lkdesk.rtc.e2ee.options import KeyDerivationFunction

    key = KeySet(PASSPHRASE.encode(), KeyDerivationFunction.PBKDF2, b"LKFrameEncryptionKey")
    _ = key.aead  # derived once (PBKDF2, ~0.1 s), as the manager does in a worker thread
    for size in (6_250, 30_000):  # 1.5 Mbps (aiortc's VP8 ceiling) at 30 fps; a large keyframe
        frame = bytes([0x11]) + os.urandom(size - 1)
        t0 = time.perf_counter()
        for _ in range(300):
            sealed = frames.encrypt("VP8", frame, key.aead, 0)
        t1 = time.perf_counter()
        for _ in range(300):
            frames.open_with(frames.parse("VP8", sealed), key.aead)
        t2 = time.perf_counter()
        enc, dec = (t1 - t0) / 300 * 1e6, (t2 - t1) / 300 * 1e6
        share = (enc + dec) * FPS / 1e6 * 100
        print(
            f"{size} B frame: encrypt {enc:.1f} µs, decrypt {dec:.1f} µs ({share:.3f} % at 30 fps)"
        )


def child_main(args: argparse.Namespace) -> None:
    run = child_publish if args.role == "publish" else child_subscribe
    log = asyncio.run(run(args))
    Path(args.log).write_text(json.dumps(log))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--role", choices=("driver", "publish", "subscribe"), default="driver")
    parser.add_argument("--client", choices=CLIENTS, default="lkdesk")
    parser.add_argument("--e2ee", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--skip", type=float, default=3.0)
    parser.add_argument("--log", default=os.devnull)
    parser.add_argument("--url", default="")
    parser.add_argument("--token", default="")
    parsed = parser.parse_args()
    if parsed.role == "driver":
        asyncio.run(main(parsed))
    else:
        child_main(parsed)

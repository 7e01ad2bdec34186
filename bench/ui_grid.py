"""The desktop app with nine remote 640x360 30 fps videos: event-loop lag, paint rate, CPU.

    bash tests/sandbox/run-in-sandbox.sh .venv/bin/python -m bench.ui_grid \
        [--publishers encoded|sdk] [--seconds 15] [--profile /tmp/grid.raw] [--no-headless]

Nine official-SDK publishers run in a child process. ``encoded`` (the default) replays a
pre-encoded VP8 clip through the SDK's ``EncodedVideoSource`` (bench/encoded_publishers.py),
so the publishers cost little CPU and the app is what is measured; ``sdk`` encodes live.
Measured in this process:
1. the real MainWindow (offscreen Qt, qasync) joined to the room: loop lag p50/p99; per
   tile and second: frames decoded (received), frames handed to the tile, paints; this
   process's CPU (all threads) per tile; optionally a py-spy profile of that window;
2. headless receive of the nine streams (RGB frames, as a UI would need) with lkdesk.rtc
   and with the official SDK: loop lag p50/p99 — the anchor;
3. launch to first window: ``python main.py`` until it logs "window shown" (median of 3).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from livekit import rtc as sdk

from bench.profiling import profiled, top_entries
from lkdesk import rtc as lk
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import eventually

ROOM = "bench-grid"
PUBLISHERS = 9
WARM_UP_S = 8.0  # subscriptions and the server's bandwidth estimate settle (slower when loaded)


@dataclass
class Grid:
    lags: list[float]
    received: float  # decoded frames per tile per second
    shown: float  # frames handed to a tile per tile per second
    painted: float  # paint events that drew video, per tile per second
    cpu: float  # % of one core for this whole process, per tile


async def loop_lag(seconds: float) -> list[float]:
    """Overshoot of 10 ms sleeps, in ms, for ``seconds``."""
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    end = loop.time() + seconds
    while loop.time() < end:
        before = loop.time()
        await asyncio.sleep(0.01)
        lags.append((loop.time() - before - 0.01) * 1000)
    return lags


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` (all threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def headless(client: Any, server: LiveKitServer, identity: str, window: float) -> list[float]:
    room = client.Room()
    readers: list[asyncio.Task[None]] = []
    frames = [0]

    async def read(track: Any) -> None:
        kwargs = {"format": sdk.VideoBufferType.RGB24} if client is sdk else {}
        async for _ in client.VideoStream(track, **kwargs):
            frames[0] += 1

    def on_track(track: Any, *_: object) -> None:
        if track.kind == client.TrackKind.KIND_VIDEO:
            readers.append(asyncio.create_task(read(track)))

    room.on("track_subscribed", on_track)
    await room.connect(server.ws_url, server.token(identity, ROOM))
    await asyncio.sleep(WARM_UP_S)
    start, cpu0 = frames[0], time.process_time()
    lags = await loop_lag(window)
    fps = (frames[0] - start) / window
    cpu = (time.process_time() - cpu0) / window * 100
    await room.disconnect()
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    print(f"  {identity:12s} frames/s {fps:6.1f}  CPU {cpu:5.1f}% of a core")
    return lags


async def with_window(server: LiveKitServer, window_s: float, profile: Path | None) -> Grid:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from lkdesk.rtc import streams
    from lkdesk.session import ProfileBook, SessionFactory, SessionState
    from lkdesk.ui import AppSettings, MainWindow
    from lkdesk.ui.tile import VideoTile

    counts = {"received": 0, "shown": 0, "painted": 0}
    original_push = streams._FrameBuffer.push
    original_set, original_video = VideoTile.set_frame, VideoTile._paint_video

    def counting_push(self: Any, frame: Any) -> None:
        if hasattr(frame, "width"):  # video frames only
            counts["received"] += 1
        original_push(self, frame)

    def counting_set(self: VideoTile, *args: Any) -> None:
        counts["shown"] += 1
        original_set(self, *args)

    def counting_video(self: VideoTile, *args: Any) -> None:
        counts["painted"] += 1
        original_video(self, *args)

    streams._FrameBuffer.push = counting_push  # type: ignore[method-assign]
    VideoTile.set_frame = counting_set  # type: ignore[method-assign]
    VideoTile._paint_video = counting_video  # type: ignore[method-assign]
    app = QApplication.instance()
    assert app is not None
    settings = AppSettings(QSettings("/tmp/lkdesk-bench-settings.ini", QSettings.Format.IniFormat))
    window = MainWindow(SessionFactory(ProfileBook.session_only()), settings)
    window.resize(1280, 800)
    window.show()
    window.start.url.setText(server.ws_url)
    window.start.token.setPlainText(server.token("lkdesk-ui", ROOM))
    window.start.save.setChecked(False)
    window.start.continue_button.click()
    await eventually(lambda: window.current_page() is window.prejoin)
    window.prejoin.join_button.click()
    await eventually(
        lambda: window.session is not None and window.session.status.state is SessionState.CONNECTED
    )
    await eventually(lambda: len(window.room.area.tiles) >= PUBLISHERS)
    await asyncio.sleep(WARM_UP_S)
    before, cpu0 = dict(counts), time.process_time()
    async with profiled(profile, window_s):
        lags = await loop_lag(window_s)
    cpu = (time.process_time() - cpu0) / window_s * 100
    rate = {k: (counts[k] - before[k]) / window_s / PUBLISHERS for k in counts}
    window.close()
    await window.aclose()
    return Grid(lags, rate["received"], rate["shown"], rate["painted"], cpu / PUBLISHERS)


def launch_to_window() -> float:
    env = dict(os.environ, LKDESK_CONFIG_DIR="/tmp/lkdesk-bench-config")
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "main.py"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if "window shown" in line:
                return time.monotonic() - start
        raise RuntimeError("the app exited without showing a window")
    finally:
        proc.terminate()
        proc.wait(10)


def summary(name: str, lags: list[float]) -> str:
    p50, p99 = statistics.median(lags), pct(lags, 0.99)
    return f"{name:13s} loop lag p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"


async def main(args: argparse.Namespace) -> None:
    print("load:", os.getloadavg())
    server = LiveKitServer.create()
    server.start()
    module = "bench.encoded_publishers" if args.publishers == "encoded" else "bench.sdk_publishers"
    publishers = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, server.ws_url, ROOM, str(PUBLISHERS),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    lk_lags: list[float] = []
    sdk_lags: list[float] = []
    try:
        assert publishers.stdout is not None
        line = await asyncio.wait_for(publishers.stdout.readline(), 120)
        assert line.strip() == b"ready", line
        pub0, t0 = cpu_seconds(publishers.pid), time.monotonic()
        # The app first: the official SDK's native threads keep working for a while after
        # its room disconnects, which would starve whatever is measured after it.
        grid = await with_window(server, args.seconds, args.profile)
        pub_cpu = (cpu_seconds(publishers.pid) - pub0) / (time.monotonic() - t0) * 100
        if not args.no_headless:
            print("headless receive of nine streams:")
            lk_lags = await headless(lk, server, "lkdesk-rtc", args.seconds)
            sdk_lags = await headless(sdk, server, "sdk", args.seconds)
    finally:
        if publishers.stdin is not None:
            publishers.stdin.close()
        try:
            await asyncio.wait_for(publishers.wait(), 20)
        except TimeoutError:
            publishers.kill()
            await publishers.wait()
        server.stop()
    launches = [launch_to_window() for _ in range(3)]
    if lk_lags and sdk_lags:
        print(summary("lkdesk.rtc", lk_lags))
        print(summary("official SDK", sdk_lags))
        ratio = pct(lk_lags, 0.99) / max(pct(sdk_lags, 0.99), 0.01)
        print(f"ratio lkdesk.rtc/SDK loop lag p99: {ratio:.2f}x")
    print(summary("lkdesk app", grid.lags))
    print(
        f"app grid per tile: received {grid.received:.1f}/s, handed to the tile "
        f"{grid.shown:.1f}/s, painted {grid.painted:.1f}/s; app CPU {grid.cpu:.1f}% of a "
        f"core per tile ({grid.cpu * PUBLISHERS:.0f}% in all)"
    )
    print(f"publishers ({args.publishers}): {pub_cpu:.0f}% of a core in all")
    print(f"launch to first window: median {statistics.median(launches) * 1000:.0f} ms")
    print("load:", os.getloadavg())
    if args.profile is not None:
        print(top_entries(args.profile))


if __name__ == "__main__":
    from PySide6.QtWidgets import QApplication

    from lkdesk.ui.loop import new_loop

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--publishers", choices=("encoded", "sdk"), default="encoded")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--profile", type=Path, default=None, help="py-spy raw output file")
    parser.add_argument("--no-headless", action="store_true", help="skip the headless anchors")
    arguments = parser.parse_args()
    application = QApplication(sys.argv[:1])
    application.setQuitOnLastWindowClosed(False)  # the bench closes its window itself
    event_loop = new_loop(application)
    event_loop.run_until_complete(main(arguments))

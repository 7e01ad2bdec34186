"""The desktop app with nine remote 640x360 30 fps videos: event-loop lag and paint rate.

    bash tests/sandbox/run-in-sandbox.sh .venv/bin/python -m bench.ui_grid

Nine official-SDK publishers run in a child process. Measured in this process:
1. headless receive of the nine streams (frames converted to RGB as a UI would need) with
   lkdesk.rtc and with the official SDK: asyncio loop lag p50/p99 — the anchor;
2. the real MainWindow (offscreen Qt) joined to the room: loop lag p50/p99, tile paints per
   second, frames shown per second;
3. launch to first window: `python main.py` until it logs "window shown" (median of 3).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from livekit import rtc as sdk

from lkdesk import rtc as lk
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import eventually

ROOM = "bench-grid"
PUBLISHERS = 9
WINDOW_S = 15.0


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


async def headless(client: Any, server: LiveKitServer, identity: str) -> list[float]:
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
    await asyncio.sleep(3)
    start = frames[0]
    lags = await loop_lag(WINDOW_S)
    fps = (frames[0] - start) / WINDOW_S
    await room.disconnect()
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    print(f"  {identity:12s} frames/s {fps:6.1f}")
    return lags


async def with_window(server: LiveKitServer) -> tuple[list[float], float, float]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from lkdesk.session import ProfileBook, SessionFactory, SessionState
    from lkdesk.ui import AppSettings, MainWindow
    from lkdesk.ui.tile import VideoTile

    paints = [0]
    shown = [0]
    original_paint, original_set = VideoTile.paintEvent, VideoTile.set_frame

    def counting_paint(self: VideoTile, event: Any) -> None:
        paints[0] += 1
        original_paint(self, event)

    def counting_set(self: VideoTile, frame: Any) -> None:
        shown[0] += 1
        original_set(self, frame)

    VideoTile.paintEvent = counting_paint  # type: ignore[method-assign]
    VideoTile.set_frame = counting_set  # type: ignore[method-assign]
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
    await asyncio.sleep(4)
    paints0, shown0 = paints[0], shown[0]
    lags = await loop_lag(WINDOW_S)
    paint_fps = (paints[0] - paints0) / WINDOW_S / PUBLISHERS
    shown_fps = (shown[0] - shown0) / WINDOW_S / PUBLISHERS
    window.close()
    await window.aclose()
    return lags, paint_fps, shown_fps


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


async def main() -> None:
    server = LiveKitServer.create()
    server.start()
    publishers = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.sdk_publishers",
        server.ws_url,
        ROOM,
        str(PUBLISHERS),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert publishers.stdout is not None
        assert (await publishers.stdout.readline()).strip() == b"ready"
        # The app first: the official SDK's native threads keep working for a while after
        # its room disconnects, which would starve whatever is measured after it.
        ui_lags, paint_fps, shown_fps = await with_window(server)
        print("headless receive of nine streams:")
        lk_lags = await headless(lk, server, "lkdesk-rtc")
        sdk_lags = await headless(sdk, server, "sdk")
    finally:
        if publishers.stdin is not None:
            publishers.stdin.close()
        await asyncio.wait_for(publishers.wait(), 20)
        server.stop()
    launches = [launch_to_window() for _ in range(3)]
    for name, lags in (
        ("lkdesk.rtc", lk_lags),
        ("official SDK", sdk_lags),
        ("lkdesk app", ui_lags),
    ):
        p50, p99 = statistics.median(lags), pct(lags, 0.99)
        print(f"{name:13s} loop lag p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
    ratio = pct(lk_lags, 0.99) / max(pct(sdk_lags, 0.99), 0.01)
    print(f"ratio lkdesk.rtc/SDK loop lag p99: {ratio:.2f}x")
    print(f"app grid: {paint_fps:.1f} paints/s per tile, {shown_fps:.1f} frames shown/s per tile")
    print(f"launch to first window: median {statistics.median(launches) * 1000:.0f} ms")


if __name__ == "__main__":
    from PySide6.QtWidgets import QApplication

    from lkdesk.ui.loop import new_loop

    application = QApplication(sys.argv)
    application.setQuitOnLastWindowClosed(False)  # the bench closes its window itself
    event_loop = new_loop(application)
    event_loop.run_until_complete(main())

"""A long call: does the app's memory, thread count or task count grow? (Not a CI test.)

    bash tests/sandbox/run-in-sandbox.sh .venv/bin/python -m bench.soak \
        [--minutes 30] [--sample-s 15] [--chat-every 4] [--out /tmp/soak.jsonl]

Four peers in one room: the real MainWindow (offscreen Qt, qasync) joined with its
microphone on (the sandbox's PulseAudio source), sending a chat message every few seconds;
three official-SDK peers (bench/encoded_publishers.py) each publishing 640x360 VP8 (replayed,
cheap), a microphone tone, and chat every few seconds. Every ``--sample-s`` seconds this
process's RSS, thread count, asyncio task count, Python object count and the frames painted
are written as one JSON line; the end prints growth from minute 5 to the end (goal: memory
under 10 %, threads and tasks flat).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import eventually

ROOM = "bench-soak"
PEERS = 3


def proc_status() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "Threads"):
            fields[key] = int(value.split()[0])
    return fields


async def join_window(server: LiveKitServer) -> Any:
    from PySide6.QtCore import QSettings

    from lkdesk.session import ProfileBook, SessionFactory, SessionState
    from lkdesk.ui import AppSettings, MainWindow

    settings = AppSettings(QSettings("/tmp/lkdesk-soak-settings.ini", QSettings.Format.IniFormat))
    window = MainWindow(SessionFactory(ProfileBook.session_only()), settings)
    window.resize(1280, 800)
    window.show()
    window.start.url.setText(server.ws_url)
    window.start.token.setPlainText(server.token("lkdesk-soak", ROOM))
    window.start.save.setChecked(False)
    window.start.continue_button.click()
    await eventually(lambda: window.current_page() is window.prejoin, 30)
    window.prejoin.join_button.click()
    await eventually(
        lambda: (
            window.session is not None and window.session.status.state is SessionState.CONNECTED
        ),
        30,
    )
    await eventually(lambda: len(window.room.area.tiles) >= PEERS + 1, 30)
    return window


async def soak(args: argparse.Namespace) -> list[dict[str, Any]]:
    from lkdesk.ui.tile import VideoTile

    server = LiveKitServer.create()
    server.start()
    publishers = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.encoded_publishers", server.ws_url, ROOM, str(PEERS),
        "--audio", "--chat-every", str(args.chat_every),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    painted = [0]
    original = VideoTile._paint_video

    def counting(self: VideoTile, *a: Any) -> None:
        painted[0] += 1
        original(self, *a)

    VideoTile._paint_video = counting  # type: ignore[method-assign]
    samples: list[dict[str, Any]] = []
    out = args.out.open("w") if args.out else None
    try:
        assert publishers.stdout is not None
        line = await asyncio.wait_for(publishers.stdout.readline(), 180)
        assert line.strip() == b"ready", line
        window = await join_window(server)
        start, cpu0, sent = time.monotonic(), time.process_time(), 0
        next_chat = next_sample = start
        end = start + args.minutes * 60
        while (now := time.monotonic()) < end:
            if now >= next_chat:
                sent += 1
                await window.session.send_chat(f"soak message {sent}")
                next_chat += args.chat_every
            if now >= next_sample:
                status = proc_status()
                sample = {
                    "t_s": round(now - start, 1),
                    "rss_kb": status["VmRSS"],
                    "threads": status["Threads"],
                    "py_threads": threading.active_count(),
                    "tasks": len(asyncio.all_tasks()),
                    "objects": len(gc.get_objects()),
                    "painted": painted[0],
                    "chat": len(window.session.chat_history),
                    "cpu_s": round(time.process_time() - cpu0, 1),
                    "load": os.getloadavg()[0],
                }
                samples.append(sample)
                print(json.dumps(sample), flush=True)
                if out is not None:
                    out.write(json.dumps(sample) + "\n")
                    out.flush()
                next_sample += args.sample_s
            await asyncio.sleep(max(0.05, min(next_chat, next_sample) - time.monotonic()))
        window.close()
        await window.aclose()
    finally:
        if out is not None:
            out.close()
        if publishers.stdin is not None:
            publishers.stdin.close()
        try:
            await asyncio.wait_for(publishers.wait(), 20)
        except TimeoutError:
            publishers.kill()
            await publishers.wait()
        server.stop()
    return samples


def report(samples: list[dict[str, Any]], from_minute: float) -> None:
    later = [s for s in samples if s["t_s"] >= from_minute * 60]
    if len(later) < 2:
        print("too short for a report")
        return
    first, last = later[0], later[-1]
    growth = (last["rss_kb"] - first["rss_kb"]) / first["rss_kb"] * 100
    minutes = (last["t_s"] - first["t_s"]) / 60
    print(f"from minute {first['t_s'] / 60:.1f} to {last['t_s'] / 60:.1f}:")
    print(f"  RSS {first['rss_kb'] / 1024:.1f} -> {last['rss_kb'] / 1024:.1f} MB ({growth:+.1f} %)")
    for key in ("threads", "py_threads", "tasks", "objects"):
        values = [s[key] for s in later]
        print(f"  {key}: {first[key]} -> {last[key]} (min {min(values)}, max {max(values)})")
    fps = (last["painted"] - first["painted"]) / (last["t_s"] - first["t_s"]) / (PEERS + 1)
    cpu = (last["cpu_s"] - first["cpu_s"]) / (last["t_s"] - first["t_s"]) * 100
    print(f"  chat entries {first['chat']} -> {last['chat']}; painted {fps:.1f}/s per tile; "
          f"app CPU {cpu:.0f}% of a core; over {minutes:.1f} min")  # fmt: skip
    print(f"  load average {min(s['load'] for s in later):.1f}-{max(s['load'] for s in later):.1f}")


if __name__ == "__main__":
    from PySide6.QtWidgets import QApplication

    from lkdesk.ui.loop import new_loop

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sample-s", type=float, default=15.0)
    parser.add_argument("--chat-every", type=float, default=4.0)
    parser.add_argument("--from-minute", type=float, default=5.0)
    parser.add_argument("--out", type=Path, default=None)
    arguments = parser.parse_args()
    application = QApplication(sys.argv[:1])
    application.setQuitOnLastWindowClosed(False)
    event_loop = new_loop(application)
    result = event_loop.run_until_complete(soak(arguments))
    report(result, arguments.from_minute)

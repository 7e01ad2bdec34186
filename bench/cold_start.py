"""Cold start: ``python main.py`` to its window, and the demo room to its first frame.

    .venv/bin/python -m bench.cold_start [--rounds 5]

Each round starts a fresh process (offscreen Qt, an empty config dir) that runs the app's
own ``main()`` with ``--demo``, and stamps three moments: the window shown (the app's
"window shown" log line), the pre-join page's Join button pressed, and the first remote
video frame painted in a tile. Wall time from just before the process is spawned, and the
process's own CPU time (less sensitive to other load on a shared machine). Prints the
medians; ``--importtime`` also prints the slowest imports of the last round.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any


def child() -> None:
    """Run the app; stamp the window, the join click and the first painted remote frame."""
    import asyncio

    from lkdesk.app import main

    def stamp(what: str) -> None:
        print(f"STAMP {what} {time.time():.6f} {time.process_time():.6f}", flush=True)

    async def drive() -> None:
        from PySide6.QtWidgets import QApplication

        from lkdesk.ui.tile import VideoTile

        original = VideoTile._paint_video

        def first_paint(self: VideoTile, *args: Any) -> None:
            original(self, *args)
            if not self.state.is_local:
                stamp("frame")
                os._exit(0)

        VideoTile._paint_video = first_paint  # type: ignore[method-assign]
        windows = [w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow"]
        window: Any = windows[0]
        while window.current_page() is not window.prejoin:  # noqa: ASYNC110 (Qt state)
            await asyncio.sleep(0.005)
        stamp("join")
        window.prejoin.join_button.click()

    tasks: list[asyncio.Task[None]] = []

    class OnWindow(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage() == "window shown":
                stamp("window")
                tasks.append(asyncio.ensure_future(drive()))

    logging.getLogger("lkdesk").addHandler(OnWindow())
    main(["--demo"])


def one_round(env: dict[str, str], importtime: bool) -> dict[str, float]:
    args = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", __spec__.name]
    start = time.time()
    proc = subprocess.run(
        [*args, "--child"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    lines = [line.split() for line in proc.stdout.splitlines()]
    stamps = {p[1]: float(p[2]) - start for p in lines if len(p) == 4 and p[0] == "STAMP"}
    stamps |= {"cpu_" + p[1]: float(p[3]) for p in lines if len(p) == 4 and p[0] == "STAMP"}
    if "frame" not in stamps:
        raise RuntimeError(f"no frame painted: {proc.stdout[-500:]} {proc.stderr[-2000:]}")
    if importtime:
        rows = [line.split("|") for line in proc.stderr.splitlines() if "import time:" in line]
        rows = [r for r in rows if len(r) == 3 and r[1].strip().isdigit()]
        print("slowest imports (cumulative µs):")
        for row in sorted(rows, key=lambda r: -int(r[1]))[:15]:
            print(f"  {int(row[1]):9d}  {row[2].rstrip()}")
    return stamps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--importtime", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    print("load:", os.getloadavg())
    rounds = []
    with tempfile.TemporaryDirectory() as home:
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            LKDESK_CONFIG_DIR=os.path.join(home, "config"),
            XDG_DATA_HOME=os.path.join(home, "data"),
            XDG_STATE_HOME=os.path.join(home, "state"),
        )
        env.pop("DISPLAY", None)
        for n in range(args.rounds):
            rounds.append(one_round(env, args.importtime and n == args.rounds - 1))
    window = [r["window"] for r in rounds]
    joined = [r["frame"] - r["join"] for r in rounds]
    after = [r["frame"] - r["window"] for r in rounds]
    cpu_window = [r["cpu_window"] for r in rounds]
    cpu_joined = [r["cpu_frame"] - r["cpu_join"] for r in rounds]
    print(f"rounds: {len(rounds)}")
    print(f"launch to window: median {statistics.median(window) * 1000:.0f} ms "
          f"(min {min(window) * 1000:.0f}, max {max(window) * 1000:.0f})")  # fmt: skip
    print(f"demo: Join pressed to first remote frame painted: median "
          f"{statistics.median(joined) * 1000:.0f} ms; window to that frame "
          f"{statistics.median(after) * 1000:.0f} ms")  # fmt: skip
    print(f"CPU of the app process: to the window median {statistics.median(cpu_window) * 1000:.0f}"
          f" ms; Join to first frame {statistics.median(cpu_joined) * 1000:.0f} ms")  # fmt: skip
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()

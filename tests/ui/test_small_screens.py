"""On a 1366×768 laptop and a 1024×640 screen (real X11 under Xvfb) every control of the
room is on screen and takes clicks; panels overlay the grid; toasts cover no tile's name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.xvfb import xvfb

ROOT = Path(__file__).resolve().parents[2]


def run_probe(width: int, height: int, tmp_path: Path) -> dict:  # type: ignore[type-arg]
    out = tmp_path / "report.json"
    with xvfb(width, height) as display:
        env = {
            **os.environ,
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "PYTHONPATH": str(ROOT),
            "XDG_RUNTIME_DIR": str(tmp_path),
        }
        done = subprocess.run(
            [sys.executable, "-m", "tests.ui.fit_probe", str(out)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def inside(inner: list[int], outer: list[int]) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1024, 640)])
def test_every_room_control_is_on_screen_and_clickable(
    width: int, height: int, tmp_path: Path
) -> None:
    report = run_probe(width, height, tmp_path)
    screen = report["screen"]
    assert inside(report["window"], screen), report["window"]
    assert report["prejoin_join_reached"]
    assert len(report["controls"]) == 10
    for name, control in report["controls"].items():
        assert control["visible"], name
        assert inside(control["rect"], screen), (name, control["rect"])
        assert control["reached"], f"{name} is covered"
    assert report["compact"] is (width < 1150)
    assert report["chat_open"] and report["chat_closed"] and report["chat_input_reached"]
    assert report["panel_overlays"] is (width < 1150)
    assert report["grid_width_kept"] is True or not report["panel_overlays"]
    assert report["mic_click_works"] and report["leave_works"]
    for dialog in ("picker", "settings"):
        assert inside(report[dialog]["rect"], screen), (dialog, report[dialog]["rect"])
    assert report["picker"]["share_reached"] and report["picker"]["first_card_reached"]
    assert report["settings"]["save_reached"]


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1024, 640)])
def test_toasts_fit_their_text_cover_no_tile_label_and_can_be_dismissed(
    width: int, height: int, tmp_path: Path
) -> None:
    report = run_probe(width, height, tmp_path)
    toasts = report["toasts"]
    assert len(toasts) == 3
    for toast in toasts:
        assert toast["label_fits"], toast
        assert toast["covers"] == [], toast
        assert toast["inside_area"], toast
        assert 1 <= len(toast["lines"]) <= 3
    short, long, _ = toasts
    assert short["lines"] == ["Amara joined"] and short["tooltip"] == ""
    assert len(long["lines"]) == 3 and long["lines"][-1].endswith("…")
    assert long["tooltip"].startswith("The connection to the server is poor")
    assert short["rect"][2] < long["rect"][2]  # sized to their text
    assert report["toast_dismissed"]

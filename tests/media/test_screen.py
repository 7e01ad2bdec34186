"""ScreenCapture with mss on a private Xvfb display started by the test."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lkdesk.core.frames import VideoFrameEvent
from lkdesk.media.errors import BackendMissingError, DeviceNotFoundError
from lkdesk.media.screen import ScreenCapture, list_monitors
from lkdesk.media.states import MediaState
from tests.integration.analysis import mean_color

X11_DIR = Path("/tmp/.X11-unix")


def free_display() -> int:
    for number in range(90, 200):
        if not (X11_DIR / f"X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture
def xvfb() -> Iterator[str]:
    """A fresh 800x600 Xvfb display (stopped afterwards); its root window is painted red."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt install xvfb)")
    number = free_display()
    display = f":{number}"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "800x600x24", "-nolisten", "tcp", "-noreset"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["xdpyinfo", "-display", display], capture_output=True).returncode:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Xvfb {display} did not start")
            time.sleep(0.05)
        subprocess.run(["xsetroot", "-display", display, "-solid", "#ff0000"], check=True)
        yield display
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def frames(capture: ScreenCapture, count: int) -> list[VideoFrameEvent]:
    got: list[VideoFrameEvent] = []
    async with asyncio.timeout(10):
        async for event in capture:
            got.append(event)
            if len(got) == count:
                break
    return got


def test_monitors_of_the_display_are_listed(xvfb: str) -> None:
    monitors = list_monitors(xvfb)
    assert [(m.index, m.width, m.height) for m in monitors] == [(0, 800, 600), (1, 800, 600)]


async def test_screen_frames_have_the_monitor_size_colour_and_rate(xvfb: str) -> None:
    capture = ScreenCapture(1, fps=10, display=xvfb)
    await capture.start()
    try:
        assert capture.granted is not None
        assert (capture.granted.width, capture.granted.height) == (800, 600)
        events = await frames(capture, 11)
    finally:
        await capture.aclose()
    for event in events:
        assert event.frame.data.shape == (600, 800, 3)
        assert mean_color(event.frame.data) == pytest.approx((255, 0, 0), abs=1)
    seconds = (events[-1].timestamp_us - events[0].timestamp_us) / 1e6
    assert 10 / seconds == pytest.approx(10, rel=0.2)


async def test_large_screens_can_be_scaled_down(xvfb: str) -> None:
    async with ScreenCapture(1, fps=30, display=xvfb, max_width=400) as capture:
        (event,) = await frames(capture, 1)  # type: ignore[arg-type]
    assert (event.frame.width, event.frame.height) == (400, 300)


async def test_missing_monitor_is_a_clear_error(xvfb: str) -> None:
    capture = ScreenCapture(3, display=xvfb)
    with pytest.raises(DeviceNotFoundError, match=r"no monitor 3 \(available: 1 \(800x600\)\)"):
        await capture.start()
    await capture.aclose()


async def test_no_display_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(BackendMissingError, match="No display to capture: DISPLAY is not set"):
        list_monitors()
    capture = ScreenCapture()
    with pytest.raises(BackendMissingError, match="DISPLAY is not set"):
        await capture.start()
    assert capture.state == MediaState.FAILED
    await capture.aclose()

    gone = ScreenCapture(display=f":{free_display()}")
    with pytest.raises(BackendMissingError, match="Cannot connect to the display"):
        await gone.start()
    await gone.aclose()
    assert "DISPLAY" not in os.environ

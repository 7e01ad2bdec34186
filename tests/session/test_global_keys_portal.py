"""On Wayland, global shortcuts go through the XDG desktop portal: lkdesk creates a session,
binds push-to-talk (F9) and mute with their preferred keys, and hears the portal's
Activated/Deactivated signals as press and release (a stand-in portal on the sandbox's bus
that follows the documented interface)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lkdesk.session.global_keys import PUSH_TO_TALK, TOGGLE_MIC, GlobalShortcuts

ROOT = Path(__file__).resolve().parents[2]


def start_portal(out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_portal", str(out)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


async def test_wayland_shortcuts_are_bound_through_the_portal_and_report_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        if os.environ.get("CI") == "true":
            pytest.fail("no D-Bus session bus: run the tests in the sandbox")
        pytest.skip("no D-Bus session bus: run the tests in tests/sandbox/run-in-sandbox.sh")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.delenv("DISPLAY", raising=False)
    out = tmp_path / "bound.json"
    portal = await asyncio.to_thread(start_portal, out)
    events: list[tuple[str, bool]] = []
    keys = GlobalShortcuts({PUSH_TO_TALK: "F9", TOGGLE_MIC: "Ctrl+Alt+M"},
                           lambda name, pressed: events.append((name, pressed)))  # fmt: skip
    try:
        assert portal.stdout is not None
        assert await asyncio.to_thread(portal.stdout.readline) == "ready\n"
        feature = await GlobalShortcuts.availability()
        assert feature.available and "portal" in feature.reason
        await keys.start()
        assert keys.how == "portal"
        async with asyncio.timeout(5):
            while len(events) < 2:  # noqa: ASYNC110 (the portal's signals arrive meanwhile)
                await asyncio.sleep(0.05)
    finally:
        await keys.aclose()
        portal.terminate()
        portal.wait(timeout=5)
    assert events == [(PUSH_TO_TALK, True), (PUSH_TO_TALK, False)]
    bound = json.loads(out.read_text())
    assert bound["shortcuts"] == {PUSH_TO_TALK: "F9", TOGGLE_MIC: "Ctrl+Alt+M"}

"""Global push-to-talk under real X11 (Xvfb): with lkdesk joined to a real room and another
application's window focused, holding F9 (sent with xdotool through XTEST) unmutes lkdesk's
microphone for the official-SDK peer and releasing it mutes it again."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lkdesk.session.global_keys import GlobalShortcuts
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer
from tests.support.xvfb import xvfb

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
ROOT = Path(__file__).resolve().parents[2]


def xdotool(display: str, *args: str) -> str:
    done = subprocess.run(
        ["xdotool", *args], env={**os.environ, "DISPLAY": display},
        capture_output=True, text=True, timeout=10, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def other_app(display: str) -> tuple[subprocess.Popen[bytes], str]:
    """Another application's window (xmessage), and its X window id."""
    env = {**os.environ, "DISPLAY": display}
    other = subprocess.Popen(["xmessage", "-name", "otherapp", "another application"], env=env)
    for _ in range(100):
        found = subprocess.run(
            ["xdotool", "search", "--classname", "otherapp"], env=env, capture_output=True,
            text=True, check=False,
        ).stdout.split()  # fmt: skip
        if found:
            return other, found[0]
        time.sleep(0.1)
    other.terminate()
    raise AssertionError("the other application's window did not appear")


def seen(peer: SdkPeer, event: str) -> int:
    return sum(1 for p, _pub in peer.events[event] if p.identity == "lkdesk")


async def more(peer: SdkPeer, event: str, than: int) -> None:
    async with asyncio.timeout(10):
        while seen(peer, event) <= than:  # noqa: ASYNC110 (the peer records events)
            await asyncio.sleep(0.05)


async def line(proc: asyncio.subprocess.Process, deadline_s: float = 60) -> str:
    assert proc.stdout is not None
    async with asyncio.timeout(deadline_s):
        return (await proc.stdout.readline()).decode().strip()


async def test_holding_the_global_key_in_another_app_unmutes_for_the_peer(
    livekit_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    server = livekit_server
    peer = SdkPeer(server.ws_url, server.token("peer", room_name))
    await peer.connect()
    try:
        with xvfb(800, 600) as display:
            env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
                   "PYTHONPATH": str(ROOT)}  # fmt: skip
            probe = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.ui.global_keys_probe", server.ws_url,
                server.token("lkdesk", room_name), str(tmp_path),
                cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            other, other_window = await asyncio.to_thread(other_app, display)
            try:
                assert await line(probe) == "ready"
                await peer.wait_for("track_muted", lambda p, _pub: p.identity == "lkdesk")
                xdotool(display, "windowfocus", "--sync", other_window)
                assert xdotool(display, "getwindowfocus") == other_window
                unmuted = seen(peer, "track_unmuted")
                xdotool(display, "keydown", "F9")
                assert await line(probe) == "mic on"
                await more(peer, "track_unmuted", unmuted)  # the peer hears lkdesk again
                muted = seen(peer, "track_muted")
                xdotool(display, "keyup", "F9")
                assert await line(probe) == "mic off"
                await more(peer, "track_muted", muted)
                assert xdotool(display, "getwindowfocus") == other_window  # lkdesk stayed behind
            finally:
                other.terminate()
                other.wait(timeout=5)
                if probe.stdin is not None:
                    probe.stdin.write(b"quit\n")
                    await probe.stdin.drain()
                try:
                    async with asyncio.timeout(20):
                        await probe.wait()
                except TimeoutError:
                    probe.kill()
                    await probe.wait()
    finally:
        await peer.aclose()
    assert probe.returncode == 0


async def test_without_a_display_settings_say_why_global_keys_cannot_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    feature = await GlobalShortcuts.availability()
    assert not feature.available
    assert feature.reason == (
        "Global shortcuts are not available: There is no X11 display (DISPLAY is not set)."
    )
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    feature = await GlobalShortcuts.availability()  # no portal on the sandbox's bus
    assert not feature.available and "offers no global shortcuts portal" in feature.reason

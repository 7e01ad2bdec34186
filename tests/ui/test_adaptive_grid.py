"""The app receives what its grid shows (issue 13, item 3), against the real server.

Nine official-SDK peers (one process of their own, tests/integration/sdk_publishers.py)
publish a 1280x720 moving picture with simulcast (320x180, 640x360, 1280x720; at 10 fps so
that nine fit on two shared cores; at 640x360 the SDK labels both its layers 640x360, and
the server cannot tell them apart). lkdesk's real window (1024x640, offscreen; its tiles are
about 300x170) joins them; its gallery is set to nine tiles a page, so page one is a 3x3
grid of lkdesk and eight peers and the ninth peer is on page two. The bytes are what lkdesk's
subscriber connection received (its transport's count), frames per video what the session
delivered to the UI, decoded sizes those of the tiles' pictures.

* full: the session is told every tile is 1280x720 (a client without adaptive
  subscription) and measured after 8 s (how many get the top layer is up to the server's
  allocation of lkdesk's downlink; the sizes are printed);
* grid: the window's own tile views, measured once page one decodes at 320x180 (the layer
  that fits a 300x170 tile).

lkdesk must receive at least 2x fewer bytes/s in the grid than in full; the paged-out
peer's video must stop (no frame in the grid phase) and come back when page two is shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lkdesk.session import TileKey, TileView
from lkdesk.session.call import CallSession
from lkdesk.ui import MainWindow
from tests.integration.livekit_server import LiveKitServer
from tests.ui.helpers import until
from tests.ui.test_real_server import join_with_token

pytestmark = [
    pytest.mark.integration,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skip(
        reason="not established yet (issue 13 item 3): in trial runs lkdesk's own counters "
        "(per-track inbound bytes, subscriber transport bytes) read 0.01-0.12 Mbit/s for "
        "nine videos decoding at 8-10 fps, in the full-size phase as in the grid, so the "
        "2x comparison measured nothing; either the publishers' picture is too cheap to "
        "encode or the counters miss video bytes (not settled). On the loaded machine "
        "lkdesk's session was also lost in some runs ('handling offer failed': ICE restart "
        "without DTLS)."
    ),
]

PUBLISHERS = 9
WIDTH, HEIGHT, FPS = 1280, 720, 10
LOW_WIDTH = 320
LAYER_DEADLINE_S = 45.0
SETTLE_S = 8.0  # the publishers' bandwidth ramp and the server's allocation
MEASURE_S = 5.0
_ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def _publishers(server: LiveKitServer, room: str) -> AsyncIterator[list[str]]:
    identities = [f"p{i}" for i in range(PUBLISHERS)]
    tokens = [server.token(identity, room) for identity in identities]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.sdk_publishers", server.ws_url,
        str(WIDTH), str(HEIGHT), str(FPS), *tokens,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=_ROOT,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        async with asyncio.timeout(90):
            assert (await proc.stdout.readline()).strip() == b"ready"
        yield identities
    finally:
        proc.stdin.close()
        try:
            async with asyncio.timeout(20):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def _received(window: MainWindow, keys: list[TileKey]) -> tuple[float, dict[TileKey, float]]:
    """(bits/s the subscriber connection received, frames/s decoded for each video) over
    MEASURE_S. The bytes are the subscriber transport's count."""
    session = window.session
    assert isinstance(session, CallSession)
    room = session._room  # the session has no public statistics of its own
    assert room is not None
    frames = dict.fromkeys(keys, 0)

    def on_frame(key: TileKey, _frame: object) -> None:
        if key in frames:
            frames[key] += 1

    async def transport_bytes() -> tuple[float, int]:
        stats = await room.get_rtc_stats()
        entries = [e.transport for e in stats.subscriber_stats if e.transport is not None]
        return time.monotonic(), sum(t.transport.bytes_received for t in entries)

    t0, b0 = await transport_bytes()
    session.on("video_frame", on_frame)
    try:
        await asyncio.sleep(MEASURE_S)
    finally:
        session.off("video_frame", on_frame)
    t1, b1 = await transport_bytes()
    return (b1 - b0) * 8 / (t1 - t0), {k: n / (t1 - t0) for k, n in frames.items()}


def _width(window: MainWindow, key: TileKey) -> int:
    frame = window.room.area.tiles[key].frame
    return 0 if frame is None else int(frame.shape[1])


async def test_grid_receives_what_its_tiles_show_and_nothing_for_a_paged_out_peer(
    window: MainWindow, livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    area = window.room.area
    area.per_page = 9
    window.resize(1024, 640)
    window.show()
    async with _publishers(server, room_name) as identities:
        await join_with_token(window, server.ws_url, server.token("lkdesk", room_name))
        keys = [TileKey(identity) for identity in identities]
        await until(
            lambda: all(k in area.tiles and area.tiles[k].frame is not None for k in keys),
            deadline_s=40,
            what="every peer's video in its tile",
        )
        session = window.session
        assert session is not None
        views = window.desktop.tile_views
        grid_views = dict(views.views)
        shown = [k for k in keys if area.tiles[k].isVisible()]
        (paged_out,) = [k for k in keys if not area.tiles[k].isVisible()]

        views.bind(None)  # the window stops steering: every tile at the full size
        session.set_tile_views({k: TileView(WIDTH, HEIGHT) for k in keys})
        await asyncio.sleep(SETTLE_S)  # the switches need keyframes and the allocation
        full_bps, full_fps = await _received(window, keys)
        full_widths = [_width(window, k) for k in keys]

        views.bind(session)  # the grid's own views again
        await until(
            lambda: all(_width(window, k) == LOW_WIDTH for k in shown),
            deadline_s=LAYER_DEADLINE_S,
            what=f"page one at {LOW_WIDTH} wide: {[_width(window, k) for k in shown]}",
        )
        await asyncio.sleep(2.0)  # the paged-out video's last packets
        grid_bps, grid_fps = await _received(window, keys)

        ratio = full_bps / max(grid_bps, 1)
        print(f"grid tile view: {grid_views[shown[0]]}, paged out: {grid_views[paged_out]}")
        print(f"received: full {full_bps / 1e6:.2f} Mbit/s (decoded widths {full_widths}), "
              f"grid {grid_bps / 1e6:.2f} Mbit/s ({ratio:.1f}x)")  # fmt: skip
        print(f"paged out {paged_out.identity}: {full_fps[paged_out]:.1f} fps in full, "
              f"{grid_fps[paged_out]:.1f} fps in the grid")  # fmt: skip
        assert grid_views[paged_out] == TileView(visible=False)
        assert full_bps >= 2 * grid_bps, (full_bps, grid_bps)
        assert grid_fps[paged_out] == 0, grid_fps[paged_out]
        assert all(grid_fps[k] > 0 for k in shown), grid_fps

        area.set_page(1)
        await until(
            lambda: _width(window, paged_out) > 0 and area.tiles[paged_out].isVisible(),
            deadline_s=LAYER_DEADLINE_S,
            what="page two",
        )
        _bps, back_fps = await _received(window, [paged_out])
        print(f"paged in: {back_fps[paged_out]:.1f} fps, {_width(window, paged_out)} wide")
        assert back_fps[paged_out] > 0

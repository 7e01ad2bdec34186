"""The app receives what its grid shows (issue 13, item 3), against the real server.

Nine official-SDK peers (one process of their own, tests/integration/sdk_publishers.py)
publish a 1280x720 moving picture with simulcast (320x180, 640x360, 1280x720; at 10 fps so
that nine fit on two shared cores; at 640x360 the SDK labels both its layers 640x360, and
the server cannot tell them apart). lkdesk's real window (1024x640, offscreen; its tiles are
about 300x170) joins them; its gallery is set to nine tiles a page, so page one is a 3x3
grid of lkdesk and eight peers and the ninth peer is on page two. Bytes per video come from
the session's own connection details (what the details panel shows), decoded sizes from
the tiles' pictures.

* full: the session is told every tile is 1280x720 (a client without adaptive
  subscription) and measured after 8 s (how many get the top layer is up to the server's
  allocation of lkdesk's downlink; the sizes are printed);
* grid: the window's own tile views, measured once page one decodes at 320x180 (the layer
  that fits a 300x170 tile).

Page one's eight videos must take at least 2x fewer bytes/s in the grid than in full; the
paged-out peer's video must drop to about nothing, and come back when page two is shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lkdesk.session import TileKey, TileView
from lkdesk.session.call_stats import CallDetails
from lkdesk.ui import MainWindow
from tests.integration.livekit_server import LiveKitServer
from tests.ui.helpers import until
from tests.ui.test_real_server import join_with_token

pytestmark = [
    pytest.mark.integration,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skip(
        reason="not passing yet (issue 13 item 3): with nine 720p publishers the session's "
        "per-video bitrates read a few kbit/s even when asking full size for all, while tiles "
        "had shown 1280-wide frames (server starving lkdesk's downlink, which it estimates "
        "from aiortc's REMB, or wrong figures: not settled); on a loaded machine the session "
        "was also lost ('handling offer failed': ICE restart without DTLS)"
    ),
]

PUBLISHERS = 9
WIDTH, HEIGHT, FPS = 1280, 720, 10
LOW_WIDTH = 320
LAYER_DEADLINE_S = 45.0
SETTLE_S = 8.0  # the publishers' bandwidth ramp and the server's allocation
MEASURE_S = 5.0
PAGED_OUT_BPS = 30_000  # "about nothing": no video, at most RTCP and a stray packet
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


async def _rates(window: MainWindow, keys: list[TileKey]) -> dict[TileKey, float]:
    """Each video's received bitrate: the median of the session's one-second figures."""
    session = window.session
    assert session is not None
    samples: dict[TileKey, list[float]] = {key: [] for key in keys}

    def on_details(details: CallDetails) -> None:
        for key in keys:
            video = [t for t in details.for_tile(key) if t.kind == "video" and not t.outgoing]
            samples[key].append(sum(t.bitrate_bps for t in video))

    session.on("connection_details", on_details)
    try:
        await asyncio.sleep(MEASURE_S)
    finally:
        session.off("connection_details", on_details)
    return {key: statistics.median(values or [0.0]) for key, values in samples.items()}


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
        session.watch_connection_details(True)
        views = window.desktop.tile_views
        grid_views = dict(views.views)
        shown = [k for k in keys if area.tiles[k].isVisible()]
        (paged_out,) = [k for k in keys if not area.tiles[k].isVisible()]

        views.bind(None)  # the window stops steering: every tile at the full size
        session.set_tile_views({k: TileView(WIDTH, HEIGHT) for k in keys})
        await asyncio.sleep(SETTLE_S)  # the switches need keyframes and the allocation
        full = await _rates(window, keys)
        full_widths = [_width(window, k) for k in keys]

        views.bind(session)  # the grid's own views again
        await until(
            lambda: all(_width(window, k) == LOW_WIDTH for k in shown),
            deadline_s=LAYER_DEADLINE_S,
            what=f"page one at {LOW_WIDTH} wide: {[_width(window, k) for k in shown]}",
        )
        grid = await _rates(window, keys)

        full_bps, grid_bps = sum(full[k] for k in shown), sum(grid[k] for k in shown)
        ratio = full_bps / max(grid_bps, 1)
        print(f"grid tile view: {grid_views[shown[0]]}, paged out: {grid_views[paged_out]}")
        print(f"page one, {len(shown)} videos: full {full_bps / 1e6:.2f} Mbit/s, "
              f"grid {grid_bps / 1e6:.2f} Mbit/s ({ratio:.1f}x)")  # fmt: skip
        print(f"paged out {paged_out.identity}: full {full[paged_out] / 1e3:.0f} kbit/s, "
              f"grid {grid[paged_out] / 1e3:.0f} kbit/s")  # fmt: skip
        assert grid_views[paged_out] == TileView(visible=False)
        assert full_bps >= 2 * grid_bps, (full, grid)
        assert grid[paged_out] < PAGED_OUT_BPS, grid[paged_out]

        before = area.tiles[paged_out].frame
        area.set_page(1)
        await until(
            lambda: area.tiles[paged_out].frame is not before,
            deadline_s=LAYER_DEADLINE_S,
            what="the paged-in peer's video",
        )
        back = await _rates(window, [paged_out])
        print(f"paged in: {back[paged_out] / 1e3:.0f} kbit/s, {_width(window, paged_out)} wide")
        print("decoded widths in full:", full_widths)
        assert back[paged_out] > 3 * PAGED_OUT_BPS
        session.watch_connection_details(False)

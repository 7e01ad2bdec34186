"""With no server, the demo room shows live people: tiles, names, changing pictures."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from lkdesk.session import TileKey
from lkdesk.ui import MainWindow
from tests.ui.helpers import join_demo, pixels, until

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_demo_room_shows_at_least_four_live_tiles(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    area = window.room.area
    await until(lambda: len(area.tiles) >= 5, what="five tiles (you + four people)")
    live = [t for t in area.tiles.values() if t.state.camera_on and not t.state.is_local]
    assert len(live) >= 3  # one simulated person keeps the camera off on purpose
    await until(lambda: all(t.frame is not None for t in live), what="first frames")
    before = {t.key: pixels(t) for t in area.tiles.values()}
    await asyncio.sleep(0.1)
    await until(
        lambda: sum(not np.array_equal(before[t.key], pixels(t)) for t in area.tiles.values()) >= 4,
        deadline_s=3.0,
        what="four tiles whose pixels change",
    )


async def test_camera_off_shows_initials_and_names(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    tile = window.room.area.tiles[TileKey("diego")]
    assert not tile.shows_video
    assert tile.label() == "Diego Ramos"
    me = window.room.area.tiles[TileKey("you")]
    assert me.label().endswith("(You)")


async def test_leaving_shows_the_reason_and_a_way_back(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    window.room.controls.leave.click()
    await until(lambda: window.current_page() is window.ended, what="the ended page")
    assert "left" in window.ended.title.text()
    assert window.ended.rejoin.isVisible()
    window.ended.home.click()
    await until(lambda: window.current_page() is window.start and window.session is None)

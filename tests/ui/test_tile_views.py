"""The window tells the session how each remote video is shown (issue 13, item 3).

Driven on the demo room with a recording session in place of the demo's (the demo draws
its videos locally and ignores views): the grid's tile sizes, a page that hides tiles, a
minimised window with and without the mini window, and a pop-out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lkdesk.session import TileKey, TileView
from lkdesk.ui import MainWindow
from tests.ui.helpers import join_demo, until


class Recorder:
    def __init__(self) -> None:
        self.views: list[dict[TileKey, TileView]] = []

    def set_tile_views(self, views: Mapping[TileKey, TileView]) -> None:
        self.views.append(dict(views))

    @property
    def last(self) -> dict[TileKey, TileView]:
        return self.views[-1]


async def test_views_follow_the_grid_pages_minimising_and_pop_outs(
    window: MainWindow, qtbot: Any
) -> None:
    window.settings.set_flag("mini_window", False)
    window.resize(1024, 640)
    window.show()
    await join_demo(window)
    area = window.room.area
    await until(lambda: len(area.tiles) >= 4, what="the demo's tiles")
    recorder = Recorder()
    window.desktop.tile_views.bind(recorder)  # type: ignore[arg-type]
    remote = [k for k, t in area.tiles.items() if not t.state.is_local]
    ratio = area.devicePixelRatioF()
    for key in remote:  # every remote tile, at its size in device pixels; not the local one
        tile = area.tiles[key]
        assert recorder.last[key] == TileView(
            round(tile.width() * ratio), round(tile.height() * ratio)
        )
    assert set(recorder.last) == set(remote)

    area.per_page = 2
    area.set_page(0)
    hidden = [k for k in remote if not area.tiles[k].isVisible()]
    assert hidden and all(recorder.last[k] == TileView(visible=False) for k in hidden)
    area.per_page = 25
    area.relayout()
    assert all(recorder.last[k].visible for k in remote)

    window.showMinimized()
    await until(lambda: not any(v.visible for v in recorder.last.values()), what="all paused")
    window.showNormal()
    await until(lambda: all(v.visible for v in recorder.last.values()), what="all back")

    key = remote[0]
    area.tiles[key].popout_requested.emit(key)
    popped = window.desktop.popouts.windows[key]
    popped.resize(900, 500)
    await until(lambda: recorder.last[key].width >= 900 * ratio, what="the pop-out's size")
    window.showMinimized()  # the pop-out still shows it
    await until(lambda: not recorder.last[remote[1]].visible, what="the grid paused")
    assert recorder.last[key].visible
    window.showNormal()
    popped.close()
    await until(lambda: recorder.last[key].width < 900 * ratio, what="back in the grid")
    count = len(recorder.views)
    area.relayout()  # nothing changed: nothing sent
    assert len(recorder.views) == count

"""Tiles paint remote video at their own size without scaling, and tell the session that size."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from lkdesk.session import ParticipantState, TileKey, VideoKind
from lkdesk.ui.tile import VideoTile
from lkdesk.ui.video_sizes import VideoSizes
from tests.ui.helpers import until

CAMERA = TileKey("amara")
PERSON = ParticipantState("amara", "Amara Okafor", camera_on=True)


class SizeLog:
    """The one session method VideoSizes calls, recorded."""

    def __init__(self) -> None:
        self.sizes: list[tuple[TileKey, int, int]] = []

    def set_video_size(self, key: TileKey, width: int, height: int) -> None:
        self.sizes.append((key, width, height))


def striped_bgra(width: int, height: int) -> np.ndarray:
    """Blue left quarter, red right quarter, green in between (BGRA bytes)."""
    frame = np.zeros((height, width, 4), dtype=np.uint8)
    frame[..., 3] = 255
    frame[:, :, 1] = 200
    frame[:, : width // 4] = (255, 0, 0, 255)
    frame[:, width - width // 4 :] = (0, 0, 255, 255)
    return frame


def test_a_frame_at_the_tiles_size_is_painted_unscaled_and_cropped_to_the_middle(
    qtbot: QtBot,
) -> None:
    tile = VideoTile(CAMERA, PERSON)
    qtbot.addWidget(tile)
    tile.resize(400, 300)
    # What the session sends for 640x360 at 400x300: 533x300, 66 columns to crop each side.
    tile.set_frame(striped_bgra(533, 300))
    image = tile.grab().toImage()
    assert tile.frames_shown == 1 and tile.frames_scaled == 0
    left, middle = image.pixelColor(30, 150), image.pixelColor(200, 150)
    assert (left.blue(), left.green()) == (255, 0)  # the blue quarter, less the crop
    assert (middle.red(), middle.green(), middle.blue()) == (0, 200, 0)
    # Frame columns 0-132 are blue; the tile shows them from column 66 on: exactly 66 - 0.
    assert image.pixelColor(66, 150).blue() == 255 and image.pixelColor(67, 150).blue() == 0
    assert image.pixelColor(333, 150).red() == 0 and image.pixelColor(334, 150).red() == 255


def test_a_frame_of_another_size_is_scaled_to_fill(qtbot: QtBot) -> None:
    tile = VideoTile(CAMERA, PERSON)
    qtbot.addWidget(tile)
    tile.resize(400, 300)
    rgb = np.zeros((360, 640, 3), dtype=np.uint8)
    rgb[:] = (10, 180, 30)
    tile.set_frame(rgb)
    image = tile.grab().toImage()
    assert tile.frames_scaled == 1
    assert image.pixelColor(200, 150).green() == 180


@pytest.mark.asyncio(loop_scope="session")
async def test_the_session_hears_the_largest_visible_tiles_size(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.resize(800, 600)
    grid = VideoTile(CAMERA, PERSON, parent)
    grid.setGeometry(0, 0, 320, 180)
    screen_key = TileKey("amara", VideoKind.SCREEN)
    screen = VideoTile(screen_key, PERSON, parent)
    screen.setGeometry(0, 200, 500, 300)
    parent.show()
    sizes, log = VideoSizes(parent), SizeLog()
    sizes.bind(log)  # type: ignore[arg-type]
    sizes.watch(grid)
    sizes.watch(screen)
    await until(lambda: len(log.sizes) == 2, what="both sizes")
    assert set(log.sizes) == {(CAMERA, 320, 180), (screen_key, 500, 300)}

    popped = VideoTile(CAMERA, PERSON)  # a pop-out window, larger than the grid tile
    qtbot.addWidget(popped)
    popped.resize(960, 540)
    popped.show()
    sizes.watch(popped)
    await until(lambda: log.sizes[-1] == (CAMERA, 960, 540), what="the pop-out's size")

    popped.hide()  # back in the grid: the grid tile's size again
    await until(lambda: log.sizes[-1] == (CAMERA, 320, 180), what="the grid tile's size")
    grid.resize(640, 360)
    await until(lambda: log.sizes[-1] == (CAMERA, 640, 360), what="the resized tile")
    count = len(log.sizes)
    grid.resize(640, 360)  # unchanged: nothing sent
    await until(lambda: not sizes._timer.isActive(), what="the flush")
    assert len(log.sizes) == count
    sizes.bind(None)
    await until(lambda: not sizes._timer.isActive(), what="the last flush")

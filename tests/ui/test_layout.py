"""Tile geometry: every count from 1 to 30 fits, nothing overlaps, tiles stay 16:9-ish."""

from __future__ import annotations

import itertools

import pytest

from lkdesk.ui import layout


@pytest.mark.parametrize("n", range(1, 31))
@pytest.mark.parametrize("size", [(1280, 700), (900, 700), (600, 900)])
def test_grid_fits_without_overlap(n: int, size: tuple[int, int]) -> None:
    width, height = size
    shown = min(n, layout.MAX_PER_PAGE)
    boxes = layout.grid(shown, width, height)
    assert len(boxes) == shown
    for box in boxes:
        assert box.x >= 0 and box.y >= 0
        assert box.x + box.w <= width + 1 and box.y + box.h <= height + 1
        assert 4 / 3 - 0.03 <= box.w / box.h <= 16 / 9 + 0.03
    for a, b in itertools.combinations(boxes, 2):
        assert not a.intersects(b)


def test_one_person_fills_the_stage() -> None:
    (box,) = layout.grid(1, 1280, 720)
    assert box.w >= 1270


def test_pages_hold_twenty_five() -> None:
    assert layout.pages(25) == 1 and layout.pages(26) == 2 and layout.pages(0) == 1


def test_focus_puts_the_others_in_a_strip() -> None:
    plan = layout.focus(12, 1280, 700)
    assert plan.main.w > 900
    assert plan.hidden == 12 - len(plan.strip)
    for box in plan.strip:
        assert not box.intersects(plan.main)

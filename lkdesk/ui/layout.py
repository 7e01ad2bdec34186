"""Where tiles go: a gallery grid that keeps 16:9 tiles as large as possible, and a focus
layout (one large tile plus a filmstrip). Pure arithmetic, tested without widgets."""

from __future__ import annotations

import math
from dataclasses import dataclass

ASPECT = 16 / 9
TALLEST = 4 / 3  # tiles may be as tall as 4:3 when the space allows
GAP = 8
MAX_PER_PAGE = 25


@dataclass(frozen=True, slots=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    def intersects(self, other: Box) -> bool:
        return not (
            self.x + self.w <= other.x
            or other.x + other.w <= self.x
            or self.y + self.h <= other.y
            or other.y + other.h <= self.y
        )


def _best_columns(n: int, width: int, height: int, aspect: float, gap: int) -> tuple[int, float]:
    best_cols, best_w = 1, 0.0
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        cell_w = (width - gap * (cols - 1)) / cols
        cell_h = (height - gap * (rows - 1)) / rows
        if cell_w <= 0 or cell_h <= 0:
            continue
        tile_w = min(cell_w, cell_h * aspect)
        if tile_w > best_w + 0.5:
            best_cols, best_w = cols, tile_w
    return best_cols, best_w


def grid(n: int, width: int, height: int, *, aspect: float = ASPECT, gap: int = GAP) -> list[Box]:
    """``n`` equal tiles of ``aspect``, as large as fits, centred; the last row centred too."""
    if n <= 0 or width <= 0 or height <= 0:
        return []
    cols, tile_w = _best_columns(n, width, height, aspect, gap)
    rows = math.ceil(n / cols)
    cell_h = (height - gap * (rows - 1)) / rows
    tile_h = min(cell_h, tile_w / TALLEST)  # use spare height: crop rather than letterbox
    total_h = rows * tile_h + (rows - 1) * gap
    top = (height - total_h) / 2
    boxes: list[Box] = []
    for row in range(rows):
        in_row = min(cols, n - row * cols)
        row_w = in_row * tile_w + (in_row - 1) * gap
        left = (width - row_w) / 2
        y = top + row * (tile_h + gap)
        for col in range(in_row):
            x = left + col * (tile_w + gap)
            boxes.append(Box(round(x), round(y), int(tile_w), int(tile_h)))
    return boxes


@dataclass(frozen=True, slots=True)
class FocusLayout:
    main: Box
    strip: list[Box]
    hidden: int  # strip tiles that did not fit ("+N more")


def focus(
    others: int, width: int, height: int, *, aspect: float = ASPECT, gap: int = GAP
) -> FocusLayout:
    """One large tile; the ``others`` in a filmstrip on the right (below when narrow)."""
    if others <= 0:
        return FocusLayout(Box(0, 0, width, height), [], 0)
    if width >= height * 1.2:
        strip_w = max(min(int(width * 0.2), 260), 120)
        tile_h = int(strip_w / aspect)
        fit = max((height + gap) // (tile_h + gap), 1)
        shown = min(others, fit)
        total = shown * tile_h + (shown - 1) * gap
        top = (height - total) // 2
        x = width - strip_w
        strip = [Box(x, top + i * (tile_h + gap), strip_w, tile_h) for i in range(shown)]
        return FocusLayout(Box(0, 0, width - strip_w - gap, height), strip, others - shown)
    strip_h = max(min(int(height * 0.2), 150), 70)
    tile_w = int(strip_h * aspect)
    fit = max((width + gap) // (tile_w + gap), 1)
    shown = min(others, fit)
    total = shown * tile_w + (shown - 1) * gap
    left = (width - total) // 2
    y = height - strip_h
    strip = [Box(left + i * (tile_w + gap), y, tile_w, strip_h) for i in range(shown)]
    return FocusLayout(Box(0, 0, width, height - strip_h - gap), strip, others - shown)


def pages(n: int, per_page: int = MAX_PER_PAGE) -> int:
    return max(math.ceil(n / per_page), 1)

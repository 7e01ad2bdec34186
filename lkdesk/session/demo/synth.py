"""Synthetic video for the demo room: people in front of moving gradients, a shared slide.

Every frame is a fresh ``(h, w, 3)`` uint8 RGB array (the UI may still be painting the
previous one). The expensive parts (gradient, silhouette masks, text) are computed once;
a frame is a window into the gradient plus a few masked fills.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lkdesk.session.demo.font import text_mask

Rgb = tuple[int, int, int]
Frame = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Look:
    """How a simulated person appears on camera."""

    background: tuple[Rgb, Rgb]
    skin: Rgb
    hair: Rgb
    shirt: Rgb


def _ellipse(h: int, w: int, cy: float, cx: float, ry: float, rx: float) -> Mask:
    y, x = np.ogrid[:h, :w]
    return ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1.0


def _periodic_gradient(height: int, width: int, colors: tuple[Rgb, Rgb]) -> Frame:
    """A (height, 2*width) diagonal gradient that repeats every ``width`` columns."""
    y = np.linspace(0.0, 1.0, height)[:, None]
    x = np.arange(2 * width)[None, :]
    wave = 0.5 + 0.5 * np.cos(2 * math.pi * x / width)
    mix = np.clip(0.65 * wave + 0.35 * y, 0.0, 1.0)[..., None]
    a = np.asarray(colors[0], dtype=np.float32)
    b = np.asarray(colors[1], dtype=np.float32)
    return (a * (1 - mix) + b * mix).astype(np.uint8)


class PersonVideo:
    """A person's camera: bobbing head and shoulders, a mouth that moves when speaking."""

    def __init__(self, name: str, look: Look, width: int = 480, height: int = 270) -> None:
        self.width, self.height = width, height
        self._look = look
        self._gradient = _periodic_gradient(height, width, look.background)
        self._shift = 0.0
        # Figure masks in a box that moves as a whole.
        self._box_h, self._box_w = int(height * 0.86), int(width * 0.42)
        bh, bw = self._box_h, self._box_w
        head_r = bh * 0.2
        self._head_c = (bh * 0.36, bw / 2)
        self._head_r = head_r
        head = _ellipse(bh, bw, self._head_c[0], self._head_c[1], head_r * 1.12, head_r * 0.92)
        hair = _ellipse(bh, bw, self._head_c[0] - head_r * 0.42, bw / 2, head_r * 0.8, head_r)
        hair &= ~_ellipse(bh, bw, self._head_c[0] + head_r * 0.3, bw / 2, head_r, head_r * 0.8)
        body = _ellipse(bh, bw, bh * 1.02, bw / 2, bh * 0.42, bw * 0.5)
        neck = _ellipse(bh, bw, bh * 0.58, bw / 2, head_r * 0.5, head_r * 0.35)
        self._masks = ((body, look.shirt), (neck, look.skin), (head, look.skin), (hair, look.hair))
        label = text_mask(name.split()[0] if name else "", scale=2)
        self._label = label[:, : max(width - 24, 0)]

    def frame(self, t: float, level: float) -> Frame:
        """The picture at time ``t`` seconds while speaking at ``level`` (0..1)."""
        w, h = self.width, self.height
        offset = int(t * 9) % w
        out = self._gradient[:, offset : offset + w].copy()
        dx = int(10 * math.sin(t * 0.6) + 4 * math.sin(t * 1.7))
        dy = int(4 * math.sin(t * 1.1))
        x0 = (w - self._box_w) // 2 + dx
        y0 = h - self._box_h + 6 + dy
        self._paint_figure(out, x0, y0)
        self._paint_face(out, x0, y0, t, level)
        lh, lw = self._label.shape
        lx = (w - lw) // 2  # centred: tiles crop the sides, never the middle
        region = out[12 : 12 + lh, lx : lx + lw]
        region[self._label] = (255, 255, 255)
        return out

    def _paint_figure(self, out: Frame, x0: int, y0: int) -> None:
        h, w = out.shape[:2]
        ys, xs = max(y0, 0), max(x0, 0)
        ye, xe = min(y0 + self._box_h, h), min(x0 + self._box_w, w)
        if ye <= ys or xe <= xs:
            return
        region = out[ys:ye, xs:xe]
        for mask, color in self._masks:
            region[mask[ys - y0 : ye - y0, xs - x0 : xe - x0]] = color

    def _paint_face(self, out: Frame, x0: int, y0: int, t: float, level: float) -> None:
        cy, cx = self._head_c
        r = self._head_r
        dark = (40, 32, 30)
        blink = (t % 4.3) < 0.12
        for side in (-1, 1):
            ey, ex = int(y0 + cy - r * 0.05), int(x0 + cx + side * r * 0.38)
            if blink:
                out[ey : ey + 2, ex - 4 : ex + 4] = dark
            else:
                out[ey - 3 : ey + 3, ex - 3 : ex + 3] = dark
        open_px = 1 + int(min(level, 1.0) * r * 0.35)
        my, mx = int(y0 + cy + r * 0.5), int(x0 + cx)
        out[my - open_px // 2 : my + open_px // 2 + 2, mx - int(r * 0.25) : mx + int(r * 0.25)] = (
            120,
            40,
            50,
        )


class SlideVideo:
    """A shared screen: a slide with a growing bar chart and a moving pointer."""

    BARS = (
        (0.35, (66, 133, 244)),
        (0.6, (52, 168, 83)),
        (0.8, (251, 188, 5)),
        (0.5, (234, 67, 53)),
    )

    def __init__(self, title: str, width: int = 1280, height: int = 720) -> None:
        self.width, self.height = width, height
        base = np.full((height, width, 3), 248, dtype=np.uint8)
        base[: int(height * 0.14)] = (32, 33, 36)
        title_mask = text_mask(title, scale=4)[:, : width - 80]
        th, tw = title_mask.shape
        y = (int(height * 0.14) - th) // 2
        base[y : y + th, 48 : 48 + tw][title_mask] = (255, 255, 255)
        for i in range(5):  # faint grid lines
            gy = int(height * (0.3 + i * 0.13))
            base[gy : gy + 2, 120 : width - 120] = (225, 227, 232)
        self._base = base
        self._pointer = np.tril(np.ones((22, 16), dtype=bool), k=-1)[:, ::1]

    def frame(self, t: float) -> Frame:
        out = self._base.copy()
        w, h = self.width, self.height
        floor = int(h * 0.82)
        bar_w = int(w * 0.12)
        for i, (target, color) in enumerate(self.BARS):
            grow = 0.5 + 0.5 * math.sin(t * 0.5 + i)
            top = floor - int((h * 0.5) * target * (0.6 + 0.4 * grow))
            x = int(w * 0.18) + i * int(w * 0.17)
            out[top:floor, x : x + bar_w] = color
        px = int(w * 0.5 + w * 0.3 * math.sin(t * 0.4))
        py = int(h * 0.55 + h * 0.2 * math.sin(t * 0.7))
        ph, pw = self._pointer.shape
        out[py : py + ph, px : px + pw][self._pointer[: h - py, : w - px]] = (20, 20, 20)
        return out

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
Alpha = npt.NDArray[np.float32]


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


SUPERSAMPLE = 4
MOUTH_STEPS = 6


def _coverage(h: int, w: int, cy: float, cx: float, ry: float, rx: float) -> Alpha:
    """Anti-aliased ellipse: the fraction of each pixel it covers (supersampled)."""
    s = SUPERSAMPLE
    out = np.zeros((h, w, 1), dtype=np.float32)
    y0, y1 = max(int(cy - ry) - 1, 0), min(int(cy + ry) + 2, h)
    x0, x1 = max(int(cx - rx) - 1, 0), min(int(cx + rx) + 2, w)
    if y1 <= y0 or x1 <= x0:
        return out
    bh, bw = y1 - y0, x1 - x0
    offset = (s - 1) / 2
    big = _ellipse(bh * s, bw * s, (cy - y0) * s + offset, (cx - x0) * s + offset, ry * s, rx * s)
    cover = big.reshape(bh, s, bw, s).mean(axis=(1, 3), dtype=np.float32)
    out[y0:y1, x0:x1, 0] = cover
    return out


class _Layer:
    """Premultiplied colour and transparency of a small picture, blended in one step."""

    def __init__(self, h: int, w: int) -> None:
        self.color = np.zeros((h, w, 3), dtype=np.float32)
        self.keep = np.ones((h, w, 1), dtype=np.float32)

    def paint(self, alpha: Alpha, rgb: Rgb) -> None:
        self.color = self.color * (1 - alpha) + alpha * np.asarray(rgb, dtype=np.float32)
        self.keep = self.keep * (1 - alpha)

    def blend(self, out: Frame, y0: int, x0: int) -> None:
        h, w = out.shape[:2]
        lh, lw = self.keep.shape[:2]
        ys, xs = max(y0, 0), max(x0, 0)
        ye, xe = min(y0 + lh, h), min(x0 + lw, w)
        if ye <= ys or xe <= xs:
            return
        sy, sx = slice(ys - y0, ye - y0), slice(xs - x0, xe - x0)
        region = out[ys:ye, xs:xe]
        region[:] = region * self.keep[sy, sx] + self.color[sy, sx]


class PersonVideo:
    """A person's camera: bobbing head and shoulders, blinking, a mouth that moves."""

    def __init__(
        self,
        name: str,
        look: Look,
        width: int = 480,
        height: int = 270,
        *,
        mirrored_label: bool = False,
    ) -> None:
        self.width, self.height = width, height
        self._gradient = _periodic_gradient(height, width, look.background)
        self._box_h, self._box_w = int(height * 0.86), int(width * 0.42)
        bh, bw = self._box_h, self._box_w
        r = bh * 0.2
        cy, cx = bh * 0.36, bw / 2
        figure = _Layer(bh, bw)
        figure.paint(_coverage(bh, bw, bh * 1.02, cx, bh * 0.42, bw * 0.5), look.shirt)
        figure.paint(_coverage(bh, bw, bh * 0.58, cx, r * 0.5, r * 0.35), look.skin)
        figure.paint(_coverage(bh, bw, cy, cx, r * 1.12, r * 0.92), look.skin)
        hair = _coverage(bh, bw, cy - r * 0.42, cx, r * 0.8, r)
        hair = hair * (1 - _coverage(bh, bw, cy + r * 0.3, cx, r, r * 0.8))
        figure.paint(hair, look.hair)
        eyes_open, eyes_shut = _Layer(bh, bw), _Layer(bh, bw)
        for layer in (eyes_open, eyes_shut):
            layer.color, layer.keep = figure.color.copy(), figure.keep.copy()
        for side in (-1, 1):
            ex = cx + side * r * 0.38
            eyes_open.paint(_coverage(bh, bw, cy - r * 0.05, ex, r * 0.09, r * 0.09), _EYES)
            eyes_shut.paint(_coverage(bh, bw, cy - r * 0.02, ex, r * 0.025, r * 0.11), _EYES)
        self._figures = (eyes_open, eyes_shut)
        mh, mw = int(r * 0.6) + 2, int(r * 0.7) + 2
        self._mouth_at = (cy + r * 0.52 - mh / 2, cx - mw / 2)
        self._mouths = []
        for step in range(MOUTH_STEPS):
            mouth = _Layer(mh, mw)
            ry = r * (0.03 + 0.22 * step / (MOUTH_STEPS - 1))
            mouth.paint(_coverage(mh, mw, mh / 2, mw / 2, ry, r * 0.26), _MOUTH)
            self._mouths.append(mouth)
        label = text_mask(name.split()[0] if name else "", scale=2)
        if mirrored_label:  # like a sign held to a camera: it reads right in a mirror view
            label = label[:, ::-1]
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
        blink = (t % 4.3) < 0.15
        self._figures[1 if blink else 0].blend(out, y0, x0)
        step = min(int(min(level, 1.0) * MOUTH_STEPS), MOUTH_STEPS - 1)
        my, mx = self._mouth_at
        self._mouths[step].blend(out, y0 + int(my), x0 + int(mx))
        lh, lw = self._label.shape
        lx = (w - lw) // 2  # centred: tiles crop the sides, never the middle
        region = out[12 : 12 + lh, lx : lx + lw]
        region[self._label] = (255, 255, 255)
        return out


_EYES = (45, 35, 32)
_MOUTH = (125, 45, 55)


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

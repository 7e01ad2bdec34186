"""Painting helpers shared by tiles, the pre-join preview and the people list."""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from lkdesk.session import Quality

AVATAR_COLORS = (
    "#7b61ff",
    "#e8710a",
    "#1a73e8",
    "#d01884",
    "#188038",
    "#c5221f",
    "#129eaf",
    "#9334e6",
)
Frame = npt.NDArray[np.uint8]


def initials(name: str) -> str:
    """ "Amara Okafor" → "AO"; "ben" → "B"."""
    words = [w for w in name.replace("_", " ").replace("-", " ").split() if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][0].upper()
    return (words[0][0] + words[-1][0]).upper()


def avatar_color(key: str) -> QColor:
    """A colour for a person, stable for the same ``key`` (their name, else identity)."""
    digest = hashlib.blake2s(key.strip().lower().encode(), digest_size=2).digest()
    return QColor(AVATAR_COLORS[int.from_bytes(digest, "big") % len(AVATAR_COLORS)])


def paint_avatar(painter: QPainter, rect: QRectF, identity: str, name: str) -> None:
    """A coloured circle with the person's initials, centred in ``rect``.

    The colour follows the name, not the identity: an identity minted per join (API-key
    profiles, the demo) would give the same person a new colour on every visit.
    """
    size = rect.height()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(avatar_color(name or identity))
    painter.drawEllipse(rect)
    font = QFont(painter.font())
    font.setPixelSize(max(int(size * 0.38), 8))
    font.setWeight(QFont.Weight.DemiBold)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, initials(name))


def frame_image(frame: Frame) -> QImage:
    """A QImage over ``frame``'s buffer (no copy). Keep ``frame`` alive while it is used.

    Three channels are RGB; four are BGRA, which is Qt's own RGB32 layout on little-endian
    machines, so the raster engine blits it without converting."""
    height, width, channels = frame.shape
    kind = QImage.Format.Format_RGB32 if channels == 4 else QImage.Format.Format_RGB888
    return QImage(frame.data, width, height, int(frame.strides[0]), kind)


def usable(frame: Frame) -> Frame:
    """``frame`` itself when QImage can wrap it (contiguous RGB or BGRA), else one
    contiguous RGB copy."""
    if frame.flags.c_contiguous and frame.ndim == 3 and frame.shape[2] in (3, 4):
        return frame
    return np.ascontiguousarray(frame[..., :3])


def fit_rect(src_w: int, src_h: int, target: QRectF, *, cover: bool) -> tuple[QRectF, QRectF]:
    """(source, target) rectangles that keep the aspect ratio: cropped (cover) or boxed."""
    if src_w <= 0 or src_h <= 0:
        return QRectF(), target
    scale_w, scale_h = target.width() / src_w, target.height() / src_h
    if cover:
        scale = max(scale_w, scale_h)
        w, h = target.width() / scale, target.height() / scale
        source = QRectF((src_w - w) / 2, (src_h - h) / 2, w, h)
        return source, target
    scale = min(scale_w, scale_h)
    w, h = src_w * scale, src_h * scale
    dest = QRectF(
        target.x() + (target.width() - w) / 2, target.y() + (target.height() - h) / 2, w, h
    )
    return QRectF(0, 0, src_w, src_h), dest


def paint_quality(painter: QPainter, rect: QRectF, quality: Quality) -> None:
    """Three rising bars; filled bars show the quality, colour warns when it is poor."""
    filled = int(quality)
    color = {0: "#ea4335", 1: "#f0b44c"}.get(filled, "#e8eaed")
    bar_w = rect.width() / 5
    for i in range(3):
        h = rect.height() * (0.45 + 0.275 * i)
        bar = QRectF(rect.x() + i * bar_w * 2, rect.bottom() - h, bar_w * 1.2, h)
        painter.setBrush(QColor(color) if i < filled else QColor(255, 255, 255, 70))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(bar, 1, 1)

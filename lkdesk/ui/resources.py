"""Icons and style sheets from ``resources/`` (next to the package, or in a frozen bundle)."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

ENV_RESOURCES = "LKDESK_RESOURCES"


def resources_dir() -> Path:
    """``$LKDESK_RESOURCES``, the PyInstaller bundle's ``resources``, or the source tree's."""
    override = os.environ.get(ENV_RESOURCES)
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


@functools.cache
def _svg(name: str) -> str:
    return (resources_dir() / "icons" / f"{name}.svg").read_text(encoding="utf-8")


@functools.cache
def pixmap(name: str, color: str, size: int, ratio: float = 1.0) -> QPixmap:
    """The icon ``name`` drawn in ``color`` at ``size`` logical pixels."""
    data = _svg(name).replace("currentColor", QColor(color).name())
    renderer = QSvgRenderer(QByteArray(data.encode()))
    physical = max(int(size * ratio), 1)
    image = QPixmap(QSize(physical, physical))
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    image.setDevicePixelRatio(ratio)
    return image


def icon(name: str, color: str, size: int = 24, disabled: str | None = None) -> QIcon:
    """A QIcon of ``name`` in ``color`` (and ``disabled`` for the disabled state)."""
    result = QIcon()
    for ratio in (1.0, 2.0):
        result.addPixmap(pixmap(name, color, size, ratio))
        if disabled is not None:
            result.addPixmap(pixmap(name, disabled, size, ratio), QIcon.Mode.Disabled)
    return result


def style_sheet(name: str = "style.qss") -> str:
    return (resources_dir() / name).read_text(encoding="utf-8")

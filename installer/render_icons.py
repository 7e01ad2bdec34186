"""Render resources/icons/logo.svg to the PNG sizes installers need (no display needed).

    python installer/render_icons.py OUT_DIR [SIZE ...]     (default 16 32 48 64 128 256 512)
Writes OUT_DIR/lkdesk-<size>.png.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SVG = Path(__file__).resolve().parents[1] / "resources" / "icons" / "logo.svg"


def main() -> int:
    out = Path(sys.argv[1])
    sizes = [int(s) for s in sys.argv[2:]] or [16, 32, 48, 64, 128, 256, 512]
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SVG}")
    out.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(out / f"lkdesk-{size}.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Screenshots of captions, the transcript tab and connection details (demo room).

    python -m tests.ui.tour_insights OUT_DIR WIDTHxHEIGHT [--capture import|grab]

Run under Xvfb with QT_QPA_PLATFORM=xcb for ``import`` (as scripts/screenshots.sh does);
``grab`` renders the window itself. Settings live in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from lkdesk.session import (
    DemoConfig,
    ProfileBook,
    Quality,
    SessionFactory,
    SessionState,
    TileKey,
)
from lkdesk.ui import AppSettings, MainWindow, ThemeController, ThemeMode
from tests.ui.tour import Camera, until

logger = logging.getLogger("tour-insights")


async def tour(out: Path, size: tuple[int, int], method: str, workdir: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    ThemeController(app, ThemeMode.LIGHT).apply()
    settings = AppSettings(QSettings(str(workdir / "settings.ini"), QSettings.Format.IniFormat))
    settings.display_name = "Sam Lee"
    book = ProfileBook.session_only(workdir / "config")
    demo = DemoConfig(people=3, churn=False, connect_delay_s=0.3, reply_delay_s=(1.0, 1.5), seed=5)
    window = MainWindow(SessionFactory(book, demo), settings)
    window.setMinimumSize(0, 0)
    window.resize(*size)
    window.move(0, 0)
    window.show()
    camera = Camera(out, method, window)
    suffix = f"{size[0]}x{size[1]}"
    try:
        window.start.demo_button.click()
        await until(lambda: window.current_page() is window.prejoin)
        window.prejoin.join_button.click()
        session = window.session
        assert session is not None
        await until(lambda: session.status.state is SessionState.CONNECTED)
        room = window.room
        session.simulate_quality("ben", Quality.POOR)  # type: ignore[attr-defined]
        room.extras.set_captions(True)
        await until(lambda: len(room.extras.captions.texts()) >= 2, deadline_s=40)
        room.extras.toggle_details()
        room.extras.show_details_for(TileKey("ben"))
        await until(lambda: room.extras.details.latest is not None)
        await asyncio.sleep(1.2)
        await camera.shoot(f"captions-and-details-{suffix}")

        room.extras.toggle_details()
        room.extras.show_details_for(TileKey("ben"))
        room.show_panel("chat")
        await until(lambda: len(session.chat_history) >= 2, deadline_s=20)
        room.chat.tabs.setCurrentIndex(1)
        await until(lambda: len(session.captions) >= 4, deadline_s=40)
        word = session.captions[1].text.split()[1]
        room.chat.transcript.search.setText(word)
        await asyncio.sleep(0.5)
        await camera.shoot(f"transcript-search-{suffix}")
    finally:
        window.close()
        await window.aclose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("size")
    parser.add_argument("--capture", choices=("import", "grab"), default="import")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("lkdesk")
    app.setQuitOnLastWindowClosed(False)
    from lkdesk.ui.loop import run

    with tempfile.TemporaryDirectory(prefix="lkdesk-tour-") as workdir:
        run(tour(args.out, (width, height), args.capture, Path(workdir)), app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

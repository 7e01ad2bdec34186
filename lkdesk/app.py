"""The composition root: logging, QApplication + qasync loop, settings → session → window."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.handlers
import os
import sys
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

logger = logging.getLogger("lkdesk")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lkdesk", description="Video calls on LiveKit.")
    parser.add_argument("--demo", action="store_true", help="open the demo room at once")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--smoke-test", action="store_true", help="open the window, then quit (packaging check)"
    )
    return parser.parse_args(argv)


def log_path() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(base or Path.home() / ".lkdesk") / "lkdesk.log"


def setup_logging(verbose: bool) -> Path:
    """Log to stderr and to a rotating file the error messages can point to."""
    path = log_path()
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=2)
        )
    except OSError:
        pass  # a read-only home must not stop the app; stderr still gets everything
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
    )
    return path


async def run(app: QApplication, args: argparse.Namespace) -> None:
    """Open the profile book, build the window, and live until it is closed."""
    from lkdesk.session import DemoTarget, ProfileBook, SessionFactory
    from lkdesk.ui import AppSettings, MainWindow, ThemeController
    from lkdesk.ui.resources import resources_dir
    from lkdesk.ui.start_page import JoinRequest

    settings = AppSettings()
    theme = ThemeController(app, settings.theme)
    theme.apply()
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "logo.svg")))
    book = await ProfileBook.open()
    window = MainWindow(SessionFactory(book), settings, theme)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    logger.info("window shown")
    if args.smoke_test:  # let start-up work (profiles, devices) finish, then quit
        asyncio.get_running_loop().call_later(1.0, window.close)
    if args.demo:
        window.open_target(JoinRequest(DemoTarget()))
    try:
        await closed.wait()
    finally:
        await window.aclose()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python main.py`` and the ``lkdesk`` script."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("QT_ENABLE_HIGHDPI_SCALING", "1")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("lkdesk")
    app.setOrganizationName("lkdesk")
    app.setDesktopFileName("lkdesk")
    path = setup_logging(args.verbose)
    logger.info("lkdesk starting; log file %s", path)
    from lkdesk.ui.loop import run as run_loop

    app.setQuitOnLastWindowClosed(False)  # the coroutine decides when to stop
    try:
        run_loop(run(app, args), app)
    except KeyboardInterrupt:
        return 130
    return 0

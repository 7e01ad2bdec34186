"""The composition root: logging, QApplication + qasync loop, settings → session → window."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from lkdesk.ui import MainWindow

from lkdesk import __version__
from lkdesk.app_logging import setup_logging
from lkdesk.display import display_problem

logger = logging.getLogger("lkdesk")
SMOKE_REPORT_ENV = "LKDESK_SMOKE_REPORT"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="lkdesk",
        description="Video calls on LiveKit.",
        epilog="Commands for scripts and bots (each with --help): lkdesk join URL …, "
        "lkdesk rooms list|create|delete, lkdesk token mint, lkdesk check URL.",
    )
    parser.add_argument(
        "link",
        nargs="?",
        default="",
        help="a meeting link to open ready to join (lkdesk://join?url=…&token=…, or a "
        "LiveKit Meet link with liveKitUrl and token)",
    )
    parser.add_argument("--demo", action="store_true", help="open the demo room at once")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"lkdesk {__version__}")
    parser.add_argument(
        "--smoke-test", action="store_true", help="open the window, then quit (packaging check)"
    )
    return parser.parse_args(argv)


async def run(app: QApplication, args: argparse.Namespace) -> None:
    """Open the profile book, build the window, and live until it is closed."""
    from PySide6.QtGui import QIcon

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
    if args.link:
        window.open_link(args.link)
    elif args.demo:
        window.open_target(JoinRequest(DemoTarget()))
    report = os.environ.get(SMOKE_REPORT_ENV, "")
    smoke = None
    if args.smoke_test or report:
        smoke = asyncio.ensure_future(_smoke(window, Path(report) if report else None))
    try:
        await closed.wait()
    finally:
        if smoke is not None:
            smoke.cancel()
            await asyncio.gather(smoke, return_exceptions=True)
        await window.aclose()


async def _smoke(window: MainWindow, report: Path | None) -> None:
    """Packaging check: let start-up settle, say where the window got to, then quit."""
    await asyncio.sleep(1.0)
    for _ in range(100):  # a link being opened settles on pre-join or an error
        if not window.is_busy():
            break
        await asyncio.sleep(0.1)
    if report is not None:
        text = json.dumps(window.describe()) + "\n"
        await asyncio.to_thread(report.write_text, text, encoding="utf-8")
    window.close()


def _choose_platform() -> None:
    """On Linux lkdesk runs on X11 (XWayland on Wayland desktops): screen sharing needs it."""
    if sys.platform.startswith("linux") and os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "xcb")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python main.py`` and the ``lkdesk`` script."""
    argv = sys.argv[1:] if argv is None else argv
    from lkdesk.cli import is_command

    if is_command(argv):  # lkdesk join|rooms|token|check: no window, no Qt
        from lkdesk.cli import main as cli_main

        return cli_main(argv)
    args = _parse(argv)
    problem = display_problem()
    if problem is not None:
        print(f"lkdesk: {problem}", file=sys.stderr)
        return 2
    _choose_platform()
    os.environ.setdefault("QT_ENABLE_HIGHDPI_SCALING", "1")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("lkdesk")
    app.setOrganizationName("lkdesk")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("lkdesk")
    path = setup_logging(args.verbose)
    logger.info("lkdesk %s starting; log file %s", __version__, path)
    from lkdesk.ui.loop import run as run_loop

    app.setQuitOnLastWindowClosed(False)  # the coroutine decides when to stop
    try:
        run_loop(run(app, args), app)
    except KeyboardInterrupt:
        return 130
    return 0

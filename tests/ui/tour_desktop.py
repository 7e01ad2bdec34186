"""Screenshots of the desktop pieces (issue 17), under Xvfb inside the test sandbox.

    python -m tests.ui.tour_desktop OUT_DIR [--small]

Needs the sandbox (tests/sandbox/run-in-sandbox.sh: the real LiveKit server runs in its
namespace) and DISPLAY on an Xvfb; scripts/screenshots.sh runs it. The mini window, a
pop-out and the history search come from the demo room; the network check and the admin
console from a real server with official-SDK peers in two rooms.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QScrollArea

from lkdesk.session import DemoConfig, ProfileBook, SessionFactory, SessionState
from lkdesk.session.history import ChatHistory
from lkdesk.ui import AppSettings, MainWindow, ThemeController, ThemeMode
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer
from tests.ui.tour import Camera, until


async def tour(out: Path, workdir: Path, small: bool) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    ThemeController(app, ThemeMode.LIGHT).apply()
    server = LiveKitServer.create()
    server.start()
    settings = AppSettings(QSettings(str(workdir / "settings.ini"), QSettings.Format.IniFormat))
    settings.display_name = "Sam Lee"
    book = ProfileBook.session_only(workdir / "config")
    await book.save_api_key("Local dev server", server.ws_url, server.api_key, server.api_secret)
    demo = DemoConfig(people=3, churn=False, connect_delay_s=0.3, reply_delay_s=(0.5, 0.8), seed=5)
    window = MainWindow(SessionFactory(book, demo), settings)
    window.desktop.history = ChatHistory(workdir / "history.sqlite3")
    window.show()
    camera = Camera(out, "import", window)
    suffix = "-1024x640" if small else ""
    peers = [
        SdkPeer(server.ws_url, server.token("amara", "design-review", name="Amara Okafor")),
        SdkPeer(server.ws_url, server.token("chen", "design-review", name="Chen Wei")),
        SdkPeer(server.ws_url, server.token("lea", "standup", name="Léa Martin")),
    ]
    try:
        for peer in peers:
            await peer.connect()
        await peers[0].publish_video(color=(60, 120, 200))
        await peers[0].publish_tone(440.0)
        await peers[1].publish_tone(330.0)
        await peers[2].publish_video(color=(200, 120, 60))
        await _demo_pieces(window, camera, suffix)
        await _server_pieces(window, camera, suffix)
    finally:
        for peer in peers:
            await peer.aclose()
        window.desktop.quitting = True
        window.close()
        await window.aclose()
        server.stop()


async def _demo_pieces(window: MainWindow, camera: Camera, suffix: str) -> None:
    window.start.demo_button.click()
    await until(lambda: window.current_page() is window.prejoin)
    window.prejoin.join_button.click()
    session = window.session
    assert session is not None
    await until(lambda: session.status.state is SessionState.CONNECTED)
    await session.send_chat("The quarterly numbers are in the shared sheet")
    await session.send_chat("hello! can everyone see my screen?")
    await until(lambda: len(session.chat_history) >= 4, deadline_s=15)
    await asyncio.sleep(1.0)

    window.desktop.mini.appear()  # as when the window goes to the background
    await until(lambda: window.desktop.mini.tile is not None)
    await asyncio.sleep(1.0)
    await camera.shoot(f"mini-window{suffix}")
    window.desktop.mini.hide()

    area = window.room.area
    key = next(k for k, t in area.tiles.items() if not t.state.is_local)
    area.tiles[key].popout_requested.emit(key)
    popped = window.desktop.popouts.windows[key]
    popped.move(420, 60)
    popped.resize(640, 400)
    await asyncio.sleep(1.0)
    await camera.shoot(f"popout{suffix}")
    popped.close()

    window.room.controls.leave.click()
    await until(lambda: window.current_page() is window.ended)
    window.back_to_start()
    window.start.demo_button.click()
    await until(lambda: window.current_page() is window.prejoin)
    window.prejoin.join_button.click()
    await until(
        lambda: window.session is not None and window.session.status.state is SessionState.CONNECTED
    )
    window.room.show_panel("chat")
    window.room.chat.history_button.click()
    view = window.desktop.history_view
    view.query.setText("quarterly")
    await until(lambda: "message(s)" in view.status.text())
    await asyncio.sleep(0.5)
    await camera.shoot(f"history-search{suffix}")
    window.room.chat.history_button.click()

    window.open_settings()
    dialog = window.dialogs.settings_dialog
    assert dialog is not None
    for row, name in ((3, "settings-global-shortcuts"), (4, "settings-notifications")):
        dialog.nav.setCurrentRow(row)
        await asyncio.sleep(1.0)
        area = dialog.pages.currentWidget()
        if isinstance(area, QScrollArea) and dialog.keys.global_keys is not None:
            area.ensureWidgetVisible(dialog.keys.global_keys)  # the "any application" part
            await asyncio.sleep(0.3)
        await camera.shoot(f"{name}{suffix}")
    dialog.reject()
    window.room.controls.leave.click()
    await until(lambda: window.current_page() is window.ended)
    window.back_to_start()


async def _server_pieces(window: MainWindow, camera: Camera, suffix: str) -> None:
    window.open_settings()
    dialog = window.dialogs.settings_dialog
    assert dialog is not None
    dialog.nav.setCurrentRow(5)
    await until(dialog.network.check.isEnabled)
    dialog.network.check.click()
    check = window.dialogs.network_dialog
    assert check is not None
    await until(lambda: check.report is not None, deadline_s=60)
    await asyncio.sleep(0.5)
    await camera.shoot(f"network-check{suffix}")
    check.close()
    dialog.reject()

    window.start.console_button.click()
    console = window.desktop.console
    assert console is not None
    console.move(20, 20)
    console.resize(min(1000, window.width() - 40), min(600, window.height() - 60))
    await until(lambda: "Chen Wei" in "".join(i.text(1) for i in console._items()), deadline_s=20)
    console.select("track", "design-review", "amara")
    await asyncio.sleep(1.0)
    await camera.shoot(f"admin-console{suffix}")
    await console.aclose()
    console.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("lkdesk")
    app.setQuitOnLastWindowClosed(False)
    from lkdesk.ui.loop import run

    with tempfile.TemporaryDirectory(prefix="lkdesk-tour-") as workdir:
        run(tour(args.out, Path(workdir), args.small), app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Drive lkdesk through its screens and take screenshots (used by scripts/screenshots.sh).

    python -m tests.ui.tour OUT_DIR [--capture import|grab] [--theme light|dark]

``import`` captures the X display with ImageMagick (run under Xvfb, QT_QPA_PLATFORM=xcb);
``grab`` renders the window itself (works offscreen). Settings and profiles live in a
temporary directory; nothing of the user's is read or written.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from lkdesk.auth import ApiCredentials, TokenGrants, mint_token
from lkdesk.session import DemoConfig, NoticeLevel, ProfileBook, SessionFactory, SessionState
from lkdesk.ui import AppSettings, MainWindow, ThemeController, ThemeMode

logger = logging.getLogger("tour")
LONG_NOTICE = (
    "Your connection is poor: video from two people is paused to keep the audio going. It "
    "comes back as soon as the network recovers; a wired connection helps most."
)


async def until(condition: Callable[[], object], deadline_s: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"tour step timed out: {condition}")
        await asyncio.sleep(0.05)


class Camera:
    def __init__(self, out: Path, method: str, window: MainWindow) -> None:
        self.out, self.method, self.window = out, method, window

    async def shoot(self, name: str) -> None:
        await asyncio.sleep(0.4)  # let the last frames paint
        path = self.out / f"{name}.png"
        if self.method == "grab":
            self.window.grab().save(str(path))
        else:
            proc = await asyncio.create_subprocess_exec("import", "-window", "root", str(path))
            if await proc.wait() != 0:
                raise RuntimeError("ImageMagick import failed (is DISPLAY set to Xvfb?)")
        logger.info("saved %s", path)


def demo_token() -> str:
    credentials = ApiCredentials("APIdemo", "a-demo-secret-that-is-long-enough-for-hs256")
    grants = TokenGrants(room="standup", room_join=True, room_admin=True)
    return mint_token(
        credentials, identity="sam", grants=grants, name="Sam Lee", ttl=timedelta(hours=6)
    )


async def tour(
    out: Path, method: str, theme_mode: ThemeMode, workdir: Path, small: bool = False
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    ThemeController(app, theme_mode).apply()
    settings = AppSettings(QSettings(str(workdir / "settings.ini"), QSettings.Format.IniFormat))
    settings.display_name = "Sam Lee"
    book = ProfileBook.session_only(workdir / "config")
    await book.save_api_key("Local dev server", "ws://localhost:7880", "devkey", "secret")
    await book.save_token("Team server", "wss://meet.example.com", demo_token())
    demo = DemoConfig(people=3, churn=False, connect_delay_s=0.3, reply_delay_s=(1.0, 1.5), seed=3)
    window = MainWindow(SessionFactory(book, demo), settings)
    window.show()  # placed to fit the screen, as for a user
    camera = Camera(out, method, window)
    try:
        await (_small_steps(window, camera) if small else _steps(window, camera))
    finally:
        window.close()
        await window.aclose()


async def _steps(window: MainWindow, camera: Camera) -> None:
    start = window.start
    await until(lambda: start.profile_list.count() > 0)
    start.url.setText("wss://meet.example.com")
    start.token.setPlainText(demo_token())
    await camera.shoot("start-screen")

    start.save.setChecked(False)  # a real call's check: this machine has no camera
    start.continue_button.click()
    await until(lambda: window.current_page() is window.prejoin, deadline_s=40)  # device scan
    await asyncio.sleep(1.0)
    await camera.shoot("pre-join-no-camera")
    window.back_to_start()
    await until(lambda: window.session is None)

    start.demo_button.click()
    await until(lambda: window.current_page() is window.prejoin)
    await until(lambda: window.prejoin.preview.frame is not None)
    await asyncio.sleep(1.0)
    await camera.shoot("pre-join")

    window.prejoin.join_button.click()
    session = window.session
    assert session is not None
    await until(lambda: session.status.state is SessionState.CONNECTED)
    await until(lambda: any(p.speaking for p in session.participants if not p.is_local))
    await asyncio.sleep(1.0)
    await camera.shoot("room-four-people")

    window.room.show_panel("chat")
    await until(lambda: len(session.chat_history) >= 2, deadline_s=15)
    await session.send_chat("Hi all! Is the agenda ready?")
    await until(lambda: len(session.chat_history) >= 4, deadline_s=15)
    await asyncio.sleep(0.5)
    await camera.shoot("chat-open")

    window.room.show_panel("people")
    await asyncio.sleep(0.5)
    await camera.shoot("participants-panel")
    window.room.show_panel(None)

    window.room.toasts.show_toast("Amara Okafor joined")
    window.room.toasts.show_toast(LONG_NOTICE, NoticeLevel.WARNING)
    await camera.shoot("toasts")
    window.room.toasts.clear()

    window.room.controls.share.click()
    picker = window.share_picker
    assert picker is not None
    await until(
        lambda: len(picker.cards) == 2 and all(c.has_picture for c in picker.cards.values())
    )
    picker.cards["demo:slides"].setChecked(True)
    await camera.shoot("share-picker")
    picker.reject()

    window.open_settings()
    dialog = window.dialogs.settings_dialog
    assert dialog is not None
    for row, name in ((1, "settings-audio"), (2, "settings-video"), (6, "settings-privacy")):
        dialog.nav.setCurrentRow(row)
        await asyncio.sleep(1.0)
        await camera.shoot(name)
    dialog.reject()


async def _small_steps(window: MainWindow, camera: Camera) -> None:
    """A 1024×640 screen: compact controls, the chat over the grid, toasts clear of names."""
    window.start.demo_button.click()
    await until(lambda: window.current_page() is window.prejoin)
    window.prejoin.join_button.click()
    session = window.session
    assert session is not None
    await until(lambda: session.status.state is SessionState.CONNECTED)
    await asyncio.sleep(1.0)
    window.room.toasts.show_toast("Chen Wei joined")
    window.room.toasts.show_toast(LONG_NOTICE, NoticeLevel.WARNING)
    await camera.shoot("room-1024x640")
    window.room.toasts.clear()
    window.room.show_panel("chat")
    await asyncio.sleep(0.5)
    await camera.shoot("chat-1024x640")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--capture", choices=("import", "grab"), default="import")
    parser.add_argument("--theme", choices=[m.value for m in ThemeMode], default="light")
    parser.add_argument("--small", action="store_true", help="the 1024x640 shots only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("lkdesk")
    app.setQuitOnLastWindowClosed(False)
    from lkdesk.ui.loop import run

    with tempfile.TemporaryDirectory(prefix="lkdesk-tour-") as workdir:
        run(tour(args.out, args.capture, ThemeMode(args.theme), Path(workdir), args.small), app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

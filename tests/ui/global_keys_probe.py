"""lkdesk's real window under Xvfb, joined to a real room, for the global-shortcut test.

    python -m tests.ui.global_keys_probe URL TOKEN SETTINGS_DIR

Joins with the microphone on, mutes it, prints ``ready`` and then one line per change of
the microphone (``mic on`` / ``mic off``); a line "quit" on stdin leaves and exits.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from lkdesk.session import ProfileBook, SessionFactory, SessionState, TokenTarget
from lkdesk.ui import AppSettings, MainWindow
from lkdesk.ui.loop import run
from lkdesk.ui.start_page import JoinRequest


async def until(condition: object, deadline_s: float = 30.0) -> None:
    async with asyncio.timeout(deadline_s):
        while not condition():  # type: ignore[operator]  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def main(url: str, token: str, folder: Path) -> None:
    settings = AppSettings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    settings.set_join_with("mic", True)
    settings.set_join_with("camera", False)
    window = MainWindow(SessionFactory(ProfileBook.session_only(folder)), settings)
    window.setWindowTitle("lkdesk-probe")
    window.show()
    window.open_target(JoinRequest(TokenTarget(url, token)))
    await until(lambda: window.current_page() is window.prejoin)
    window.prejoin.join_button.click()
    session = window.session
    assert session is not None
    await until(lambda: session.status.state is SessionState.CONNECTED)
    await until(lambda: session.local_media.mic_on)
    await until(lambda: window.desktop.global_keys is not None and window.desktop.global_keys.how)
    window.room.toggle_mic()
    await until(lambda: not session.local_media.mic_on)
    print("ready", flush=True)
    session.on("local_media", lambda m: print("mic on" if m.mic_on else "mic off", flush=True))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    window.close()
    await window.aclose()


if __name__ == "__main__":
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])), app)

"""Open lkdesk on a real X display, join the demo room and report what fits (JSON).

    DISPLAY=:93 QT_QPA_PLATFORM=xcb python -m tests.ui.fit_probe OUT.json [--shots DIR]

Run by tests/ui/test_small_screens.py under an Xvfb of a given size. Reports the window and
screen geometry, every control bar control's place and whether a click at its centre
reaches it, what clicking the panel buttons does to the grid, and where toasts went.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from lkdesk.session import DemoConfig, NoticeLevel, ProfileBook, SessionFactory, SessionState
from lkdesk.ui import AppSettings, MainWindow, ThemeController, ThemeMode

LONG = (
    "The connection to the server is poor: video from Amara and Ben is paused to keep the "
    "audio going, and it comes back as soon as the network recovers. Check your Wi-Fi, or "
    "move closer to the access point; a wired connection helps most."
)


async def until(condition: Any, deadline_s: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"probe step timed out: {condition}")
        await asyncio.sleep(0.05)


def rect(r: QRect) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def reached(widget: QWidget) -> bool:
    """Whether a click at the widget's centre lands on it (nothing covers it)."""
    centre = widget.mapToGlobal(widget.rect().center())
    hit = QApplication.widgetAt(centre)
    return hit is not None and (hit is widget or widget.isAncestorOf(hit))


def global_rect(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


async def shoot(shots: Path | None, name: str) -> None:
    if shots is None:
        return
    await asyncio.sleep(0.5)
    proc = await asyncio.create_subprocess_exec("import", "-window", "root", str(shots / name))
    await proc.wait()


async def probe(out: Path, shots: Path | None, workdir: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    ThemeController(app, ThemeMode.LIGHT).apply()
    settings = AppSettings(QSettings(str(workdir / "s.ini"), QSettings.Format.IniFormat))
    settings.display_name = "Sam Lee"
    demo = DemoConfig(people=4, churn=False, chatter=False, connect_delay_s=0.1, seed=3)
    window = MainWindow(SessionFactory(ProfileBook.session_only(workdir), demo), settings)
    report: dict[str, Any] = {}
    window.show()
    try:
        await until(lambda: window.isVisible() and window.windowHandle() is not None)
        await asyncio.sleep(0.3)
        screen = window.screen()
        report["screen"] = rect(screen.availableGeometry())
        report["window"] = rect(window.frameGeometry())
        await shoot(shots, "start.png")
        window.start.demo_button.click()
        await until(lambda: window.current_page() is window.prejoin)
        await asyncio.sleep(0.5)
        report["prejoin_join_reached"] = reached(window.prejoin.join_button)
        await shoot(shots, "prejoin.png")
        window.prejoin.join_button.click()
        await until(
            lambda: (
                window.session is not None and window.session.status.state is SessionState.CONNECTED
            )
        )
        await asyncio.sleep(0.5)
        await _room(window, report, shots)
    finally:
        window.close()
        await window.aclose()
    await asyncio.to_thread(out.write_text, json.dumps(report, indent=1))


async def _room(window: MainWindow, report: dict[str, Any], shots: Path | None) -> None:
    room, bar = window.room, window.room.controls
    report["compact"] = bar.compact
    report["controls"] = {
        f"{i} {c.toolTip().splitlines()[0] if c.toolTip() else type(c).__name__}": {
            "rect": rect(global_rect(c)),
            "visible": c.isVisible(),
            "reached": reached(c),
        }
        for i, c in enumerate(bar.controls())
    }
    await shoot(shots, "room.png")
    area_before = room.area.width()
    QTest.mouseClick(bar.chat, Qt.MouseButton.LeftButton)
    await asyncio.sleep(0.3)
    report["chat_open"] = room.panel() == "chat"
    report["panel_overlays"] = room.panel_overlays
    report["grid_width_kept"] = room.area.width() == area_before
    report["chat_input_reached"] = reached(room.chat.input)
    await shoot(shots, "room-chat.png")
    QTest.mouseClick(bar.chat, Qt.MouseButton.LeftButton)
    await asyncio.sleep(0.2)
    report["chat_closed"] = room.panel() is None
    session = window.session
    assert session is not None
    mic_before = session.local_media.mic_on
    QTest.mouseClick(bar.mic, Qt.MouseButton.LeftButton)
    await until(lambda: session.local_media.mic_on != mic_before)
    report["mic_click_works"] = True
    for text, level in (
        ("Amara joined", NoticeLevel.INFO),
        (LONG, NoticeLevel.WARNING),
        ("Ben: are you sharing the slides today?", NoticeLevel.INFO),
    ):
        room.toasts.show_toast(text, level)
    await asyncio.sleep(0.3)
    toasts = room.toasts.toasts()
    obstacles = room.area.status_rects()
    report["toasts"] = [
        {
            "rect": rect(t.geometry()),
            "lines": t.lines,
            "tooltip": t.toolTip(),
            "label_fits": t.label.height() >= t.label.sizeHint().height(),
            "covers": [rect(o) for o in obstacles if t.geometry().intersects(o)],
            "inside_area": room.area.rect().contains(t.geometry()),
        }
        for t in toasts
    ]
    await shoot(shots, "room-toasts.png")
    QTest.mouseClick(toasts[0].close_button, Qt.MouseButton.LeftButton)
    await asyncio.sleep(0.1)
    report["toast_dismissed"] = "Amara joined" not in room.toasts.texts()
    room.toasts.clear()
    QTest.mouseClick(bar.share, Qt.MouseButton.LeftButton)
    await until(
        lambda: (
            window.share_picker is not None
            and window.share_picker.isVisible()
            and len(window.share_picker.cards) > 0
        )
    )
    picker = window.share_picker
    assert picker is not None
    await asyncio.sleep(0.3)
    await shoot(shots, "share-picker.png")
    report["picker"] = {
        "rect": rect(picker.frameGeometry()),
        "share_reached": reached(picker.share_button),
        "first_card_reached": reached(next(iter(picker.cards.values()))),
    }
    picker.reject()
    await asyncio.sleep(0.2)
    window.open_settings()
    dialog = window.dialogs.settings_dialog
    assert dialog is not None
    await until(dialog.isVisible)
    await asyncio.sleep(0.3)
    report["settings"] = {
        "rect": rect(dialog.frameGeometry()),
        "save_reached": reached(dialog.save_button),
    }
    dialog.reject()
    await asyncio.sleep(0.2)
    QTest.mouseClick(bar.leave, Qt.MouseButton.LeftButton)
    await until(lambda: window.current_page() is window.ended)
    report["leave_works"] = True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--shots", type=Path)
    args = parser.parse_args()
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("lkdesk")
    app.setQuitOnLastWindowClosed(False)
    from lkdesk.ui.loop import run

    with tempfile.TemporaryDirectory(prefix="lkdesk-probe-") as workdir:
        run(probe(args.out, args.shots, Path(workdir)), app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

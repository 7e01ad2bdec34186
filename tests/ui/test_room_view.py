"""The room view: screen shares large, pinning, paging past 25, toasts, connection states."""

from __future__ import annotations

import time

import pytest

from lkdesk.session import (
    DemoSession,
    ParticipantState,
    SessionState,
    Status,
    TileKey,
    VideoKind,
)
from lkdesk.session.demo.cast import CAST
from lkdesk.ui import MainWindow
from lkdesk.ui.video_area import ViewMode
from tests.ui.helpers import join_demo, share_from_picker, until

pytestmark = pytest.mark.asyncio(loop_scope="session")


def demo(window: MainWindow) -> DemoSession:
    assert isinstance(window.session, DemoSession)
    return window.session


async def test_screen_share_takes_the_large_view(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    area = window.room.area
    await share_from_picker(window, "demo:slides")
    assert window.isMinimized()  # a whole screen: lkdesk gets out of the picture
    window.showNormal()
    key = TileKey("you", VideoKind.SCREEN)
    await until(
        lambda: key in area.tiles and area.tiles[key].frame is not None, what="the shared screen"
    )
    assert area.mode is ViewMode.FOCUS
    screen = area.tiles[key]
    others = [t for t in area.tiles.values() if t is not screen and t.isVisible()]
    assert all(screen.width() > 2 * t.width() for t in others)
    window.room.controls.share.click()
    await until(lambda: key not in area.tiles, what="the share to stop")
    assert area.mode is ViewMode.GRID


async def test_share_picker_lists_screens_and_windows_and_cancel_shares_nothing(
    window: MainWindow,
) -> None:
    window.show()
    await join_demo(window)
    window.room.controls.share.click()
    await until(
        lambda: window.share_picker is not None and len(window.share_picker.cards) == 2,
        what="the picker's sources",
    )
    picker = window.share_picker
    assert picker is not None
    titles = {card.source.kind.value: card.toolTip() for card in picker.cards.values()}
    assert titles["screen"].startswith("Demo screen") and titles["window"].startswith("Meeting")
    assert not picker.share_button.isEnabled()
    assert not picker.audio.isEnabled() and "no computer audio" in picker.audio.toolTip()
    await until(lambda: all(c.has_picture for c in picker.cards.values()), what="thumbnails")
    picker.reject()
    await until(lambda: not picker.isVisible(), what="the picker to close")
    assert window.session is not None and not window.session.local_media.screen_on
    assert not window.room.controls.share.isChecked()


async def test_pinning_someone_makes_them_large_and_unpin_restores_the_grid(
    window: MainWindow,
) -> None:
    window.show()
    await join_demo(window)
    area = window.room.area
    ben = area.tiles[TileKey("ben")]
    ben.pin_requested.emit(ben.key)
    assert area.mode is ViewMode.FOCUS and ben.pinned
    assert all(ben.width() > t.width() for t in area.tiles.values() if t is not ben)
    ben.pin_requested.emit(None)
    assert area.mode is ViewMode.GRID and not ben.pinned


async def test_thirty_people_are_paged_by_twenty_five(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    session = demo(window)
    for i in range(30 - len(session.participants)):
        session._upsert(ParticipantState(f"guest{i}", f"Guest {i}"))
    area = window.room.area
    await until(lambda: len(area.tiles) == 30)
    assert sum(t.isVisible() for t in area.tiles.values()) == 25
    assert area._nav.isVisible() and "1 of 2" in area._page_label.text()
    area.set_page(1)
    assert sum(t.isVisible() for t in area.tiles.values()) == 5


async def test_joins_and_leaves_are_announced(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    session = demo(window)
    session._arrive(CAST[5])
    await until(lambda: "Farah Haddad joined" in window.room.toasts.texts())
    assert TileKey("farah") in window.room.area.tiles
    session._depart("farah", "left")
    await until(lambda: "Farah Haddad left" in window.room.toasts.texts())
    assert TileKey("farah") not in window.room.area.tiles


async def test_reconnecting_is_shown_and_cleared(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    session = demo(window)
    session._set_status(Status(SessionState.RECONNECTING, "Your connection dropped."))
    assert window.room.banner.isVisible()
    assert "Reconnecting" in window.room.banner.label.text()
    window.room.status.reconnecting_since = time.monotonic() - 65  # away a while now
    window.room.status.tick()
    text = window.room.banner.label.text()
    assert "Reconnecting… 1:05" in text and "sent when it is back" in text
    session._set_status(Status(SessionState.CONNECTED))
    assert not window.room.banner.isVisible()


async def test_being_removed_explains_why_and_offers_a_way_back(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    session = demo(window)
    message = "You were removed from the room by an administrator. Rejoin if it was a mistake."
    await session._end(Status(SessionState.ENDED, message))
    await until(lambda: window.current_page() is window.ended, what="the ended page")
    assert window.ended.title.text() == "The call ended"
    assert "removed" in window.ended.message.text()
    window.ended.rejoin.click()
    await until(
        lambda: (
            window.session is not None
            and window.session.status.state is SessionState.CONNECTED
            and window.current_page() is window.room
        ),
        what="rejoining",
    )

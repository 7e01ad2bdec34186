"""The people panel lists everyone; host actions appear only with host rights and work."""

from __future__ import annotations

import pytest

from lkdesk.session import Feature, TileKey
from lkdesk.ui import MainWindow
from tests.ui.helpers import join_demo, until

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_people_panel_lists_everyone_with_host_actions(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    room = window.room
    room.controls.people.click()
    assert room.panel() == "people"
    rows = room.people.rows
    assert set(rows) >= {"you", "amara", "ben", "chen", "diego"}
    assert not rows["you"].more.isVisibleTo(room.people)
    assert rows["amara"].more.isVisibleTo(room.people)
    assert rows["chen"].mic.toolTip() == "Microphone off"
    assert room.people.title.text() == f"People ({len(rows)})"


async def test_host_mutes_and_removes_someone(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    session = window.session
    assert session is not None
    room = window.room
    room.show_panel("people")
    room.people.mute.emit("amara")
    await until(lambda: not room.people.rows["amara"].state.mic_on, what="amara muted")
    assert not room.area.tiles[TileKey("amara")].state.mic_on
    room.people.remove.emit("ben")
    await until(lambda: "ben" not in room.people.rows, what="ben removed")
    assert TileKey("ben") not in room.area.tiles
    assert session.participant("ben") is None


async def test_host_actions_are_hidden_without_rights(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    people = window.room.people
    people.set_admin(Feature(False, "no roomAdmin grant"), Feature(False))
    assert not any(row.more.isVisibleTo(people) for row in people.rows.values())
    assert not people.host_note.isVisibleTo(people)


async def test_host_menu_offers_every_action_and_metadata_is_saved(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    people = window.room.people
    window.room.show_panel("people")
    row = people.rows["amara"]
    row._fill_menu()
    labels = [a.text() for a in row._menu.actions() if a.text()]
    assert labels == [
        "Mute microphone",
        "Block audio and video",
        "Rename…",
        "Edit metadata…",
        "Move to another room…",
        "Remove from the call",
    ]
    people.set_metadata.emit("amara", '{"role": "speaker"}')
    await until(lambda: "Metadata of Amara Okafor updated." in window.room.toasts.texts())

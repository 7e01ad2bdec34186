"""``AdminConsole``: the rooms on every saved server, live, with RoomService's actions.

A local dashboard across servers that needs no backend: each saved server with an API key
(or a saved token with the roomList/roomAdmin grants) lists its rooms, the people in them
and their tracks, refreshed every few seconds. Rooms can be created and deleted, people
removed and tracks muted, through the same RoomService calls lkdesk uses in a call.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session import ProfileBook
from lkdesk.session.console import ServerConsole, ServerView, consoles_for
from lkdesk.ui.actions import ActionRunner

REFRESH_S = 3.0
ROLE = Qt.ItemDataRole.UserRole


class AdminConsole(QWidget):
    """A tree server → room → participant → track, and buttons for the selected item."""

    refreshed = Signal()

    def __init__(self, book: ProfileBook, runner: ActionRunner, refresh_s: float = REFRESH_S):
        super().__init__(None, Qt.WindowType.Window)
        self.setObjectName("AdminConsole")
        self.setWindowTitle("Rooms on your servers – lkdesk")
        self.resize(900, 560)
        self._book = book
        self._runner = runner
        self._refresh_s = refresh_s
        self.consoles: list[ServerConsole] = []
        self.views: list[ServerView] = []
        self._wake = asyncio.Event()
        self._poll: asyncio.Task[Any] | None = None
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Server, room, participant or track", "Details"])
        self.tree.setColumnWidth(0, 420)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.room_name = QLineEdit()
        self.room_name.setPlaceholderText("New room name")
        self.create_button = QPushButton("Create room")
        self.create_button.clicked.connect(self._create)
        self.delete = QPushButton("Delete room")
        self.delete.setProperty("kind", "danger")
        self.delete.clicked.connect(self._delete)
        self.remove = QPushButton("Remove participant")
        self.remove.clicked.connect(self._remove)
        self.mute = QPushButton("Mute track")
        self.mute.clicked.connect(self._mute)
        self.status = QLabel("Loading saved servers…")
        self.status.setProperty("role", "muted")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        for widget in (self.room_name, self.create_button, self.delete, self.remove, self.mute):
            row.addWidget(widget)
        column = QVBoxLayout(self)
        column.addLayout(row)
        column.addWidget(self.tree, 1)
        column.addWidget(self.status)
        self._selection_changed()

    def start(self) -> None:
        """Find the servers and refresh until the window closes."""
        self._poll = self._runner.run(self._refresh_forever(), "list the rooms", self._error)

    async def _refresh_forever(self) -> None:
        self.consoles = await consoles_for(self._book)
        if not self.consoles:
            self.status.setText(
                "No saved server can list rooms: save a server with its API key (or a token "
                "with the roomList grant) on the start screen."
            )
        while True:
            self.views = list(await asyncio.gather(*(c.view() for c in self.consoles)))
            self._show(self.views)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._refresh_s):
                    await self._wake.wait()

    def refresh_now(self) -> None:
        self._wake.set()

    def _show(self, views: list[ServerView]) -> None:
        selected = self._selected()
        expanded = {self._key(i) for i in self._items() if i.isExpanded()}
        self.tree.clear()
        for index, view in enumerate(views):
            server = QTreeWidgetItem([view.label, view.error or f"{len(view.rooms)} room(s)"])
            server.setData(0, ROLE, ("server", index, "", "", ""))
            self.tree.addTopLevelItem(server)
            for rv in view.rooms:
                r = rv.room
                people = f"{len(rv.participants)} participant(s)"
                room = QTreeWidgetItem(server, [r.name, people])
                room.setData(0, ROLE, ("room", index, r.name, "", ""))
                for p in rv.participants:
                    who = QTreeWidgetItem(room, [p.identity, p.name or ""])
                    who.setData(0, ROLE, ("participant", index, r.name, p.identity, ""))
                    for t in p.tracks:
                        words = f"{t.kind}{', muted' if t.muted else ''}"
                        track = QTreeWidgetItem(who, [t.source or t.name or t.sid, words])
                        track.setData(0, ROLE, ("track", index, r.name, p.identity, t.sid))
        for item in self._items():
            key = self._key(item)
            item.setExpanded(key in expanded or key[0] in ("server", "room"))
            if key == selected:
                item.setSelected(True)
        total = sum(len(v.rooms) for v in views)
        self.status.setText(f"{total} active room(s) on {len(views)} server(s); refreshed live.")
        self.refreshed.emit()

    def _items(self) -> list[QTreeWidgetItem]:
        found: list[QTreeWidgetItem] = []
        stack = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        while stack:
            item = stack.pop()
            if item is not None:
                found.append(item)
                stack += [item.child(i) for i in range(item.childCount())]
        return found

    @staticmethod
    def _key(item: QTreeWidgetItem) -> tuple[str, int, str, str, str]:
        kind, index, room, identity, track = item.data(0, ROLE)
        return str(kind), int(index), str(room), str(identity), str(track)

    def _selected(self) -> tuple[str, int, str, str, str] | None:
        items = self.tree.selectedItems()
        return self._key(items[0]) if items else None

    def _selection_changed(self) -> None:
        kind = (self._selected() or ("",))[0]
        self.create_button.setEnabled(kind in ("server", "room"))
        self.delete.setEnabled(kind == "room")
        self.remove.setEnabled(kind == "participant")
        self.mute.setEnabled(kind == "track")

    def select(self, kind: str, *names: str) -> bool:
        """Select the item of ``kind`` whose room/identity/track are ``names`` (tests)."""
        for item in self._items():
            key = self._key(item)
            if key[0] == kind and all(n in key[2:] for n in names):
                self.tree.setCurrentItem(item)
                return True
        return False

    # ----- actions ------------------------------------------------------------------------

    def _act(self, what: str, call: Any) -> None:
        async def act() -> None:
            await call
            self.refresh_now()

        self._runner.run(act(), what, on_error=self._error)

    def _create(self) -> None:
        selected = self._selected()
        if selected is not None:
            console = self.consoles[selected[1]]
            self._act("create the room", console.create_room(self.room_name.text()))
            self.room_name.clear()

    def _delete(self) -> None:
        selected = self._selected()
        if selected is not None and selected[0] == "room":
            self._act("delete the room", self.consoles[selected[1]].delete_room(selected[2]))

    def _remove(self) -> None:
        s = self._selected()
        if s is not None and s[0] == "participant":
            self._act("remove them", self.consoles[s[1]].remove_participant(s[2], s[3]))

    def _mute(self) -> None:
        s = self._selected()
        if s is not None and s[0] == "track":
            self._act("mute the track", self.consoles[s[1]].mute_track(s[2], s[3], s[4], True))

    def _error(self, message: str) -> None:
        self.status.setText(message)

    async def aclose(self) -> None:
        """Stop refreshing and close every server's RoomService connection."""
        poll, self._poll = self._poll, None
        if poll is not None:
            poll.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poll
        consoles, self.consoles = self.consoles, []
        for console in consoles:
            await console.aclose()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._poll is not None or self.consoles:
            self._runner.run(self.aclose(), "close the RoomService connections")
        event.accept()

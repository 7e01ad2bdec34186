"""Captions, the chat's transcript tab and connection details, for the room page.

Kept out of ``room_page.py`` so the page only creates this, binds it with the session and
forwards two intents (toggle captions, toggle the call's connection details).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRect, Signal

from lkdesk.session import Session, TileKey
from lkdesk.session.captions import CaptionLine
from lkdesk.ui.bridge import SessionBridge
from lkdesk.ui.captions_view import CaptionsView
from lkdesk.ui.chat_panel import ChatPanel
from lkdesk.ui.stats_overlay import StatsOverlay
from lkdesk.ui.video_area import VideoArea

TRANSCRIPT_TAB = 1


class CallExtras(QObject):
    """Owns the captions view and the connection-details overlay of one room page."""

    captions_changed = Signal(bool)

    def __init__(self, area: VideoArea, chat: ChatPanel) -> None:
        super().__init__(area)
        self._area = area
        self._chat = chat
        self.details = StatsOverlay(area, lambda key: area.tiles.get(key))
        self.captions = CaptionsView(area, self._free_space)
        self.details.changed.connect(self._replace_captions)
        self.session: Session | None = None
        area.details_requested.connect(self.show_details_for)
        chat.transcript.query_changed.connect(lambda _query: self.refresh_transcript())
        chat.tabs.currentChanged.connect(lambda _index: self.refresh_transcript())

    def bind(self, session: Session, bridge: SessionBridge) -> None:
        self.session = session
        bridge.caption.connect(self._on_caption)
        bridge.connection_details.connect(self.details.show_details)
        bridge.chat_message.connect(lambda _entry: self.refresh_transcript())
        bridge.chat_updated.connect(lambda _entry: self.refresh_transcript())
        self.details.bind(session.watch_connection_details)
        for line in session.captions[-3:]:
            self.captions.show_line(line)
        self.refresh_transcript()

    def unbind(self) -> None:
        self.details.unbind()
        self.captions.clear()
        self.session = None
        self._chat.transcript.set_entries(())

    # ----- captions and transcript ------------------------------------------------------------

    def _free_space(self) -> tuple[QRect | None, int]:
        """Where captions may go: left of the details panel, above the lowest tiles."""
        panel = self.details.panel
        bottoms = [t.geometry().bottom() for t in self._area.tiles.values() if t.isVisible()]
        lowest = max(bottoms) if bottoms else self._area.height()
        return (panel.geometry() if panel.isVisible() else None), lowest

    def _replace_captions(self) -> None:
        if self.captions.isVisible():
            self.captions.place()

    def toggle_captions(self) -> None:
        self.set_captions(not self.captions.enabled)

    def set_captions(self, on: bool) -> None:
        self.captions.set_enabled(on)
        self.captions_changed.emit(on)

    def _on_caption(self, line: CaptionLine, _new: bool) -> None:
        self.captions.show_line(line)
        self.refresh_transcript()

    def refresh_transcript(self) -> None:
        """Show the transcript's matches again (only while its tab is open)."""
        if self.session is not None and self._chat.tabs.currentIndex() == TRANSCRIPT_TAB:
            view = self._chat.transcript
            view.set_entries(self.session.transcript(view.query))

    # ----- connection details -----------------------------------------------------------------

    def toggle_details(self) -> None:
        self.details.set_panel(not self.details.panel_open)

    def show_details_for(self, key: TileKey | None) -> None:
        """A tile's context menu: its own figures (a key) or the whole call's (None)."""
        if key is None:
            self.details.set_panel(True)
        else:
            self.details.toggle_tile(key)

    def tile_gone(self, key: TileKey) -> None:
        self.details.tile_gone(key)

"""The call's clock in the control bar and the connection banner over the video area."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel

from lkdesk.session import SessionState, Status
from lkdesk.ui.overlays import Banner


class CallStatus(QObject):
    """Ticks once a second: how long the call has lasted, how long the connection is away."""

    def __init__(self, clock_label: QLabel, banner: Banner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._label = clock_label
        self._banner = banner
        self._server = ""
        self._started = 0.0
        self.reconnecting_since: float | None = None
        self._note = ""
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)

    def show(self, status: Status, room_name: str, server_label: str) -> bool:
        """Follow ``status``; True when the call (re)became connected."""
        self._server = server_label
        if status.state is SessionState.CONNECTING:
            self._banner.show_text(f"Joining {room_name}…")
        elif status.state is SessionState.RECONNECTING:
            if self.reconnecting_since is None:
                self.reconnecting_since = time.monotonic()
            self._note = status.message
            self._show_reconnecting()
        elif status.state is SessionState.CONNECTED:
            self.reconnecting_since = None
            self._banner.hide()
            if not self._timer.isActive():
                self._started = time.monotonic()
                self._timer.start()
                self.tick()
            return True
        else:
            self.stop()
        return False

    def stop(self) -> None:
        self._banner.hide()
        self._timer.stop()
        self.reconnecting_since = None

    def _show_reconnecting(self) -> None:
        """The banner while the connection is away: for how long, and what happens to chat."""
        if self.reconnecting_since is None:
            return
        away = int(time.monotonic() - self.reconnecting_since)
        self._banner.show_text(
            f"Reconnecting… {away // 60}:{away % 60:02d} · {self._note} "
            "Messages you write now are sent when it is back."
        )

    def tick(self) -> None:
        self._show_reconnecting()
        if not self._timer.isActive():
            return
        minutes, seconds = divmod(int(time.monotonic() - self._started), 60)
        hours, minutes = divmod(minutes, 60)
        elapsed = f"{minutes:02d}:{seconds:02d}"
        if hours:
            elapsed = f"{hours}:{elapsed}"
        self._label.setText(f"{self._server} · {elapsed}")

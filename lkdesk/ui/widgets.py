"""Small widget helpers shared by the themed pages and dialogs."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget


def card(frame: QFrame) -> QVBoxLayout:
    """Make ``frame`` a themed card and return its column layout."""
    frame.setProperty("card", True)
    column = QVBoxLayout(frame)
    column.setContentsMargins(24, 20, 24, 22)
    column.setSpacing(10)
    return column


def label(text: str, role: str = "", *, wrap: bool = True) -> QLabel:
    """A label with a style ``role`` (title, heading, muted, error, ok, warning, details)."""
    widget = QLabel(text)
    if role:
        widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    return widget


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """Show (or clear) the red border of a field with a problem."""
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)

"""Lifecycle states shared by capture and playback objects."""

from __future__ import annotations

from enum import StrEnum


class MediaState(StrEnum):
    """IDLE → STARTING → RUNNING → (ENDED | FAILED) → CLOSED."""

    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    ENDED = "ended"  # a file source reached its end
    FAILED = "failed"  # see the object's ``error``
    CLOSED = "closed"

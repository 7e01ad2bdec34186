"""Captions: transcribed speech as lines the UI shows, kept for the call's transcript.

A line is one segment of one speaker. As in components-js, a later update of a segment
replaces its text while the segment is interim; once a segment is final it is kept as it
is (a late interim update of it is ignored). Lines keep the order in which their segments
first arrived.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class CaptionLine:
    """One speaker's segment of speech; ``final`` once the transcriber is sure of it."""

    id: str  # "<speaker identity>/<segment id>"
    speaker_identity: str
    speaker_name: str
    text: str
    final: bool
    started_at: datetime
    is_local: bool = False


class CaptionBook:
    """Every caption line of a call; ``changed(line, new)`` after each accepted update."""

    def __init__(self, changed: Callable[[CaptionLine, bool], None]) -> None:
        self._changed = changed
        self._lines: dict[str, CaptionLine] = {}  # insertion order is arrival order

    @property
    def lines(self) -> tuple[CaptionLine, ...]:
        return tuple(self._lines.values())

    def recent(self, count: int) -> tuple[CaptionLine, ...]:
        return tuple(list(self._lines.values())[-count:])

    def update(
        self,
        *,
        speaker_identity: str,
        speaker_name: str,
        segment_id: str,
        text: str,
        final: bool,
        is_local: bool = False,
    ) -> CaptionLine | None:
        """Apply one segment update; the resulting line, or None when it changed nothing."""
        key = f"{speaker_identity}/{segment_id}"
        old = self._lines.get(key)
        text = text.strip()
        if old is None:
            if not text:
                return None  # nothing to show yet
            line = CaptionLine(
                key, speaker_identity, speaker_name, text, final, datetime.now(UTC), is_local
            )
        elif old.final or (old.text == text and old.final == final):
            return None
        else:
            line = replace(old, text=text or old.text, final=final, speaker_name=speaker_name)
        self._lines[key] = line
        self._changed(line, old is None)
        return line

    def clear(self) -> None:
        self._lines.clear()

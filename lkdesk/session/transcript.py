"""The call's transcript: chat messages and captions in one timeline, searchable.

Search is what a person expects from a search box: case and accents do not matter, and
every word typed must appear in the speaker's name or the text, in any order. A persistent
history across calls (issue 17) can reuse :func:`matches` on its own entries.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from lkdesk.session.captions import CaptionLine
from lkdesk.session.model import ChatEntry


class EntryKind(StrEnum):
    MESSAGE = "message"  # typed in the chat (or a shared file)
    CAPTION = "caption"  # transcribed speech


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    """One line of the transcript; ``final`` is False for speech still being transcribed."""

    id: str
    kind: EntryKind
    speaker_name: str
    text: str
    at: datetime
    is_local: bool = False
    final: bool = True


def _fold(text: str) -> str:
    """Lower case without accents: "Grüße" and "GRUSSE" both become "grusse"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matches(entry: TranscriptEntry, query: str) -> bool:
    """True when every word of ``query`` occurs in the entry's speaker name or text."""
    haystack = _fold(f"{entry.speaker_name} {entry.text}")
    return all(word in haystack for word in _fold(query).split())


def build(chat: Iterable[ChatEntry], captions: Iterable[CaptionLine]) -> list[TranscriptEntry]:
    """Messages and captions merged by time, oldest first."""
    entries = [
        TranscriptEntry(
            id=f"m:{m.id}",
            kind=EntryKind.MESSAGE,
            speaker_name="You" if m.is_local else m.sender_name,
            text=m.text or (f"shared {m.attachment.file_name}" if m.attachment else ""),
            at=m.sent_at,
            is_local=m.is_local,
        )
        for m in chat
    ]
    entries += [
        TranscriptEntry(
            id=f"c:{c.id}",
            kind=EntryKind.CAPTION,
            speaker_name="You" if c.is_local else c.speaker_name,
            text=c.text,
            at=c.started_at,
            is_local=c.is_local,
            final=c.final,
        )
        for c in captions
    ]
    return sorted(entries, key=lambda e: e.at)


def search(entries: Iterable[TranscriptEntry], query: str) -> list[TranscriptEntry]:
    """The entries matching ``query`` (all of them for an empty query)."""
    if not query.strip():
        return list(entries)
    return [e for e in entries if matches(e, query)]

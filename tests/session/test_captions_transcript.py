"""Caption lines replace interim text, keep final text; the transcript searches like a person."""

from __future__ import annotations

from datetime import timedelta

from lkdesk.session.captions import CaptionBook, CaptionLine
from lkdesk.session.model import ChatEntry
from lkdesk.session.transcript import EntryKind, build, search


def _book() -> tuple[CaptionBook, list[tuple[str, str, bool, bool]]]:
    seen: list[tuple[str, str, bool, bool]] = []
    book = CaptionBook(lambda line, new: seen.append((line.id, line.text, line.final, new)))
    return book, seen


def _say(book: CaptionBook, who: str, seg: str, text: str, final: bool) -> CaptionLine | None:
    return book.update(
        speaker_identity=who, speaker_name=who.title(), segment_id=seg, text=text, final=final
    )


def test_interim_text_is_replaced_and_final_text_is_kept() -> None:
    book, seen = _book()
    _say(book, "ana", "s1", "good", False)
    _say(book, "ben", "s1", "hello", False)  # same segment id, another speaker: its own line
    _say(book, "ana", "s1", "good morning", False)
    _say(book, "ana", "s1", "good morning all", True)
    assert _say(book, "ana", "s1", "good morning a", False) is None  # late interim: ignored
    assert _say(book, "ana", "s1", "good morning all", True) is None  # repeated final
    _say(book, "ana", "s2", "  ", False)  # nothing to show yet
    assert [(line.speaker_identity, line.text, line.final) for line in book.lines] == [
        ("ana", "good morning all", True),
        ("ben", "hello", False),
    ]
    assert seen == [
        ("ana/s1", "good", False, True),
        ("ben/s1", "hello", False, True),
        ("ana/s1", "good morning", False, False),
        ("ana/s1", "good morning all", True, False),
    ]
    assert [line.text for line in book.recent(1)] == ["hello"]


def test_transcript_merges_chat_and_captions_and_searches_without_case_or_accents() -> None:
    book, _ = _book()
    _say(book, "ana", "s1", "Grüße aus Köln, the build is green", True)
    t0 = book.lines[0].started_at
    chat = [
        ChatEntry("m1", "ben", "Ben", "Is the build green?", t0 - timedelta(seconds=5)),
        ChatEntry("m2", "me", "Me", "Shipping it", t0 + timedelta(seconds=5), is_local=True),
    ]
    entries = build(chat, book.lines)
    assert [(e.kind, e.speaker_name, e.text) for e in entries] == [
        (EntryKind.MESSAGE, "Ben", "Is the build green?"),
        (EntryKind.CAPTION, "Ana", "Grüße aus Köln, the build is green"),
        (EntryKind.MESSAGE, "You", "Shipping it"),
    ]
    assert [e.text for e in search(entries, "GRUSSE koln")] == [entries[1].text]
    assert [e.speaker_name for e in search(entries, "green build")] == ["Ben", "Ana"]
    assert [e.speaker_name for e in search(entries, "you shipping")] == ["You"]
    assert search(entries, "nothing like this") == []
    assert search(entries, "  ") == entries

"""The architecture's size limits (issue 9): a newcomer reads any module in one sitting."""

from __future__ import annotations

from pathlib import Path

LKDESK = Path(__file__).resolve().parent.parent / "lkdesk"
MAX_LINES = 450
ROOM_MAX_LINES = 349  # the façade keeps models only; the engine owns the connections


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_longer_than_450_lines() -> None:
    long = {str(p.relative_to(LKDESK)): _lines(p) for p in LKDESK.rglob("*.py")}
    assert {name: n for name, n in long.items() if n > MAX_LINES} == {}


def test_the_room_facade_stays_under_350_lines() -> None:
    assert _lines(LKDESK / "rtc" / "room.py") <= ROOM_MAX_LINES

"""Messages people read: no Markdown backticks; a stable avatar colour; Wayland explained."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lkdesk.session.share_sources import screen_feature

LKDESK = Path(__file__).resolve().parents[2] / "lkdesk"


def _user_strings(tree: ast.AST) -> list[str]:
    # Documentation, not messages: docstrings and every other bare string statement
    # (attribute docstrings after a dataclass field, for instance).
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_message_shows_literal_backticks() -> None:
    offenders = [
        f"{path.relative_to(LKDESK)}: {text!r}"
        for path in LKDESK.rglob("*.py")
        for text in _user_strings(ast.parse(path.read_text()))
        if "`" in text
    ]
    assert offenders == []


def test_the_avatar_colour_follows_the_name_not_the_per_join_identity() -> None:
    pytest.importorskip("PySide6")
    from lkdesk.ui.painting import avatar_color

    assert avatar_color("Sam Lee") == avatar_color(" sam lee ")
    assert avatar_color("Sam Lee") != avatar_color("Ana Ruiz")


def test_on_wayland_screen_sharing_explains_that_only_the_portal_can(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    feature = screen_feature()
    assert not feature.available
    assert "portal" in feature.reason and "X11 session" in feature.reason

"""The one event emitter every layer uses."""

from __future__ import annotations

import logging
from typing import Literal

import pytest

from lkdesk.core.emitter import EventEmitter

Events = Literal["a", "b"]


def test_handlers_run_in_order_and_a_failing_one_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    emitter: EventEmitter[Events] = EventEmitter()
    seen: list[str] = []

    def broken(_value: int) -> None:
        raise RuntimeError("handler bug")

    emitter.on("a", lambda v: seen.append(f"first {v}"))
    emitter.on("a", broken)
    emitter.on("a", lambda v: seen.append(f"third {v}"))
    with caplog.at_level(logging.ERROR):
        emitter.emit("a", 1)
    assert seen == ["first 1", "third 1"]
    assert "handler for 'a' failed" in caplog.text


def test_once_decorator_off_and_off_all() -> None:
    emitter: EventEmitter[Events] = EventEmitter()
    seen: list[str] = []
    emitter.once("a", lambda: seen.append("once"))

    @emitter.on("b")
    def on_b() -> None:
        seen.append("b")

    emitter.emit("a")
    emitter.emit("a")
    emitter.emit("b")
    emitter.off("b", on_b)
    emitter.emit("b")
    emitter.on("b", lambda: seen.append("again"))
    emitter.off_all()
    emitter.emit("b")
    assert seen == ["once", "b"]

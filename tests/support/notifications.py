"""Run :mod:`tests.support.notification_recorder` for a test and read what it received."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Recorded:
    def __init__(self, path: Path) -> None:
        self.path = path

    def all(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


@contextmanager
def notification_service(tmp_path: Path) -> Iterator[Recorded]:
    """The recorder on the session bus; skipped (failing under CI) without a bus."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        if os.environ.get("CI") == "true":
            pytest.fail("no D-Bus session bus: run the tests in the sandbox")
        pytest.skip("no D-Bus session bus: run the tests in tests/sandbox/run-in-sandbox.sh")
    out = tmp_path / "notifications.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.notification_recorder", str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", "the notification recorder did not start"
        yield Recorded(out)
    finally:
        proc.terminate()
        proc.wait(timeout=5)

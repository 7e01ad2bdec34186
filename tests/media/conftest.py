"""Fixtures for lkdesk.media tests: sandbox gate for audio, a strict no-thread-left guard.

Audio tests need the PulseAudio of tests/sandbox/run-in-sandbox.sh (null sink ``lk_sink``,
source ``lk_mic``). Outside it they are skipped, and they fail under CI=true.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

SANDBOX_HINT = (
    "audio tests need the PulseAudio sandbox: run scripts/test.sh "
    "(or tests/sandbox/run-in-sandbox.sh .venv/bin/pytest tests/media)"
)
THREAD_GRACE_S = 2.0


@pytest.fixture
def sandbox_audio() -> None:
    """Skip (or fail under CI=true) unless the sandbox's PulseAudio is there."""
    if os.environ.get("LKDESK_SANDBOX") == "1":
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but not in the sandbox: {SANDBOX_HINT}", pytrace=False)
    pytest.skip(SANDBOX_HINT)


@pytest.fixture(autouse=True)
def _no_thread_left() -> Iterator[None]:
    """Stricter than the top-level guard: daemon threads and PortAudio dummies count too."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE_S
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    if left:
        names = ", ".join(f"{t.name!r} (daemon={t.daemon})" for t in left)
        pytest.fail(f"test left thread(s) behind: {names}", pytrace=False)

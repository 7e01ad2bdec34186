"""Session-wide guards for every lkdesk test.

* Under CI=true the run must happen inside tests/sandbox/run-in-sandbox.sh (scripts/test.sh).
* No test may leave a non-daemon thread running (2 s grace to finish).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

THREAD_GRACE_S = 2.0


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") == "true" and os.environ.get("LKDESK_SANDBOX") != "1":
        raise pytest.UsageError(
            "CI=true but LKDESK_SANDBOX is not set: run the tests with scripts/test.sh "
            "(it enters tests/sandbox/run-in-sandbox.sh)"
        )


# Worker threads of the app's event loop (lkdesk.ui.loop) live as long as the loop, which
# the UI tests share for the whole session; the loop shuts them down when it closes.
LOOP_OWNED_PREFIX = "lkdesk-worker"


def _live_non_daemon(exclude: set[threading.Thread]) -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t.is_alive()
        and not t.daemon
        and t not in exclude
        and not t.name.startswith(LOOP_OWNED_PREFIX)
    ]


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE_S
    leaked = _live_non_daemon(before)
    while leaked and time.monotonic() < deadline:
        leaked[0].join(timeout=max(deadline - time.monotonic(), 0.0))
        leaked = _live_non_daemon(before)
    if leaked:
        names = ", ".join(f"{t.name!r} (ident {t.ident})" for t in leaked)
        pytest.fail(f"test left non-daemon thread(s) running: {names}", pytrace=False)

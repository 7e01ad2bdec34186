"""Integration fixtures: the real LiveKit server, run inside the sandbox network namespace.

Outside the sandbox these tests are skipped (and fail under CI=true): run scripts/test.sh.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from lkdesk.rtc.engine import engine
from tests.integration.livekit_server import LiveKitServer
from tests.integration.pc_mode import default_from_environment

_HERE = Path(__file__).parent
SANDBOX_HINT = (
    "integration tests need the network-namespace sandbox: run scripts/test.sh "
    "(or tests/sandbox/run-in-sandbox.sh .venv/bin/pytest ...)"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item; attach the server log tail to failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    server = getattr(item, "funcargs", {}).get("livekit_server")
    if report.failed and isinstance(server, LiveKitServer):
        report.sections.append((f"livekit-server log tail ({server.log_path})", server.log_tail()))
    return report


@pytest.fixture(autouse=True)
def _require_sandbox(request: pytest.FixtureRequest) -> None:
    if _HERE not in request.node.path.parents or os.environ.get("LKDESK_SANDBOX") == "1":
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but not in the sandbox: {SANDBOX_HINT}", pytrace=False)
    pytest.skip(SANDBOX_HINT)


@pytest.fixture(autouse=True)
def _peer_connection_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """``LKDESK_TEST_SINGLE_PC`` (pc_mode.py) sets lkdesk's default mode for the test."""
    wanted = default_from_environment()
    if wanted is not None:
        monkeypatch.setattr(engine, "DEFAULT_SINGLE_PEER_CONNECTION", wanted)


@pytest.fixture(scope="session")
def livekit_server() -> Iterator[LiveKitServer]:
    """The real ``livekit-server --dev`` on free ports, shared by the session."""
    if os.environ.get("LKDESK_SANDBOX") != "1":
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but not in the sandbox: {SANDBOX_HINT}", pytrace=False)
        pytest.skip(SANDBOX_HINT)
    server = LiveKitServer.create()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def room_name(request: pytest.FixtureRequest) -> str:
    """A room name unique to this test (and this run)."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)[:48].strip("-")
    return f"{stem}-{uuid.uuid4().hex[:8]}"

"""Fixtures for the browser-peer tests: the real LiveKit server and browser peers.

The server fixtures come from tests/integration; like those tests, these run only inside
the sandbox network namespace (tests/sandbox/run-in-sandbox.sh).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator

import pytest

from tests.browser.browser_peer import BrowserPeer
from tests.integration.conftest import livekit_server, room_name
from tests.integration.livekit_server import LiveKitServer

__all__ = ["browser_peer_factory", "livekit_server", "room_name"]

BrowserPeerFactory = Callable[[str], Awaitable[BrowserPeer]]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On failure attach each browser peer's log and the server's log tail."""
    report = yield
    if not report.failed:
        return report
    for peer in getattr(item, "browser_peers", []):
        report.sections.append((f"browser peer {peer.name} log", peer.log_text))
    server = getattr(item, "funcargs", {}).get("livekit_server")
    if isinstance(server, LiveKitServer):
        report.sections.append((f"livekit-server log tail ({server.log_path})", server.log_tail()))
    return report


@pytest.fixture
async def browser_peer_factory(
    request: pytest.FixtureRequest,
) -> AsyncIterator[BrowserPeerFactory]:
    """``await make("alice")`` starts a browser peer; all are closed after the test."""
    peers: list[BrowserPeer] = []
    request.node.browser_peers = peers

    async def make(name: str) -> BrowserPeer:
        peer = BrowserPeer(name)
        peers.append(peer)
        await peer.start()
        return peer

    try:
        yield make
    finally:
        for peer in reversed(peers):
            await peer.aclose()

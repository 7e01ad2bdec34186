"""A reconnect notices a server coming back instead of sleeping through the schedule."""

from __future__ import annotations

import asyncio
import socket

import pytest

from lkdesk.rtc.engine.server_watch import answers, server_address, wait_until_back


def test_the_address_comes_from_the_url_and_its_default_ports() -> None:
    assert server_address("ws://127.0.0.1:7880") == ("127.0.0.1", 7880)
    assert server_address("wss://lk.example.org") == ("lk.example.org", 443)
    assert server_address("ws://[fd00:77::1]:7880/rtc") == ("fd00:77::1", 7880)
    assert server_address("not a url") is None


def test_through_an_http_proxy_the_server_cannot_be_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert server_address("wss://lk.example.org") is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_wait_ends_when_the_server_listens_again() -> None:
    port = _free_port()
    assert not await answers("127.0.0.1", port)  # down: the port refuses
    accepted: list[int] = []

    async def come_back_later() -> asyncio.Server:
        await asyncio.sleep(0.6)
        return await asyncio.start_server(
            lambda _r, w: (accepted.append(1), w.close()), "127.0.0.1", port
        )

    starting = asyncio.create_task(come_back_later())
    async with asyncio.timeout(20):  # a hang guard; the schedule's limit is 60 s
        await wait_until_back(f"ws://127.0.0.1:{port}", limit_s=60)
    server = await starting
    try:
        assert accepted  # it returned because the port answered, not because time ran out
    finally:
        server.close()
        await server.wait_closed()


async def test_the_wait_never_outlasts_the_schedule() -> None:
    port = _free_port()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await wait_until_back(f"ws://127.0.0.1:{port}", limit_s=0.4)
    assert loop.time() - started >= 0.4

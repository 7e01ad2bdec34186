"""Signalling and RoomService through an HTTP proxy from HTTPS_PROXY (Debian's tinyproxy).

nginx terminates TLS for the real server (as in test_connect_tls.py); tinyproxy allows
CONNECT to one of nginx's ports only. lkdesk must join over wss:// through the proxy (the
proxy's log shows the tunnel), call RoomService through it, go direct for a NO_PROXY host,
and say plainly when the proxy refuses. The official-SDK peer joins before HTTPS_PROXY is
set, directly: media never goes through an HTTP proxy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from lkdesk import rtc
from lkdesk.admin import RoomAdmin
from lkdesk.core.errors import ProxyError
from tests.integration.certs import TestCa
from tests.integration.daemons import ConnectProxy, TlsReverseProxy, running
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, sample_video
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration


@dataclass
class ProxyWorld:
    ca: TestCa
    nginx: TlsReverseProxy
    proxy: ConnectProxy


@pytest.fixture(scope="module")
def proxy_world(
    livekit_server: LiveKitServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProxyWorld]:
    ca = TestCa(tmp_path_factory.mktemp("pki"))
    certs = {name: ca.issue(name, "localhost") for name in ("allowed", "forbidden")}
    nginx = TlsReverseProxy(livekit_server.ports.http, certs)
    proxy = ConnectProxy(connect_ports=(nginx.sites["allowed"].port,))
    with running(nginx), running(proxy):
        yield ProxyWorld(ca, nginx, proxy)


@pytest.fixture
def via_proxy(proxy_world: ProxyWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", proxy_world.proxy.url)
    yield


def _tunnels(world: ProxyWorld) -> int:
    """How many CONNECT tunnels tinyproxy opened so far (it logs each one)."""
    return world.proxy.log().count('Established connection to host "localhost"')


async def test_lkdesk_joins_and_calls_roomservice_through_the_https_proxy(
    livekit_server: LiveKitServer,
    proxy_world: ProxyWorld,
    room_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = livekit_server
    trust = rtc.ServerTrust(proxy_world.ca.pem)
    peer = SdkPeer(server.ws_url, server.token("peer", room_name))
    lk = LkdeskPeer()
    try:
        await peer.connect()
        await peer.publish_video(color=(200, 200, 40))
        monkeypatch.setenv("HTTPS_PROXY", proxy_world.proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        before = _tunnels(proxy_world)
        url = proxy_world.nginx.url("allowed")
        await lk.connect(url, server.token("lkdesk", room_name), trust=trust)
        assert _tunnels(proxy_world) == before + 1, proxy_world.proxy.log()[-2000:]
        track = await lk.subscribed("peer", rtc.TrackKind.KIND_VIDEO)
        assert len(await sample_video(track, 3)) == 3

        https = proxy_world.nginx.url("allowed", scheme="https")
        async with RoomAdmin.with_api_key(
            https, server.api_key, server.api_secret, trust=trust
        ) as admin:
            rooms = await admin.list_rooms([room_name])
        assert [r.name for r in rooms] == [room_name]
        assert _tunnels(proxy_world) == before + 2, "RoomService went around the proxy"
    finally:
        await lk.aclose()
        await peer.aclose()


async def test_a_no_proxy_host_is_reached_directly(
    livekit_server: LiveKitServer,
    proxy_world: ProxyWorld,
    via_proxy: None,
    room_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_PROXY", "localhost")
    before = _tunnels(proxy_world)
    lk = LkdeskPeer()
    try:
        url = proxy_world.nginx.url("allowed")
        await lk.connect(
            url,
            livekit_server.token("lkdesk", room_name),
            trust=rtc.ServerTrust(proxy_world.ca.pem),
            media_timeout_s=15.0,
        )
        assert lk.room.connection_state == rtc.ConnectionState.CONN_CONNECTED
    finally:
        await lk.aclose()
    assert _tunnels(proxy_world) == before


async def test_a_proxy_that_refuses_the_tunnel_is_named_with_what_to_do(
    livekit_server: LiveKitServer, proxy_world: ProxyWorld, via_proxy: None, room_name: str
) -> None:
    room = rtc.Room()
    url = proxy_world.nginx.url("forbidden")
    with pytest.raises(ProxyError) as refused:
        await room.connect(
            url,
            livekit_server.token("lkdesk", room_name),
            rtc.RoomOptions(trust=rtc.ServerTrust(proxy_world.ca.pem)),
        )
    message = str(refused.value)
    assert proxy_world.proxy.url in message and "refused" in message and "HTTP 403" in message
    assert "NO_PROXY" in message, message

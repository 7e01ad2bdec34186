"""wss:// and https:// through a TLS-terminating reverse proxy (Debian's nginx), issue 14.

A test CA is made in the run; nginx serves the real server on one port per certificate:
a good one from the CA, an expired one, one for another host name, a self-signed one and
one from a CA nobody trusts. lkdesk must join over wss:// when (and only when) the user
trusts the CA for that server, and name each certificate fault in plain words, for
signalling and for RoomService alike. The official SDK joins the same room over plain ws://
directly: only lkdesk's path goes through TLS.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lkdesk import rtc
from lkdesk.admin import AdminCertificateError, RoomAdmin
from lkdesk.core.errors import CertificateError
from lkdesk.session import JoinOptions, ProfileBook, ProfileTarget, SessionFactory, SessionState
from tests.integration.analysis import content_region, mean_color
from tests.integration.certs import TestCa, self_signed
from tests.integration.daemons import TlsReverseProxy, running
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, eventually, sample_video
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration

ORANGE = (230, 140, 20)


@dataclass
class TlsWorld:
    ca: TestCa
    nginx: TlsReverseProxy


@pytest.fixture(scope="module")
def tls_world(
    livekit_server: LiveKitServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TlsWorld]:
    directory = tmp_path_factory.mktemp("pki")
    ca = TestCa(directory / "ca")
    stranger = TestCa(directory / "stranger", "Stranger CA")
    certs = {
        "good": ca.issue("good", "localhost", "127.0.0.1"),
        "expired": ca.issue("expired", "localhost", valid_days=(-30, -1)),
        "wrong_host": ca.issue("wrong-host", "meet.example.org"),
        "self_signed": self_signed(directory, "self-signed", "localhost"),
        "unknown_ca": stranger.issue("stranger", "localhost"),
    }
    nginx = TlsReverseProxy(livekit_server.ports.http, certs)
    with running(nginx):
        yield TlsWorld(ca, nginx)


async def test_lkdesk_joins_over_wss_and_sees_the_peer_when_it_trusts_the_servers_ca(
    livekit_server: LiveKitServer, tls_world: TlsWorld, room_name: str
) -> None:
    server = livekit_server
    peer = SdkPeer(server.ws_url, server.token("peer", room_name))
    lk = LkdeskPeer()
    try:
        await peer.connect()
        await peer.publish_video(color=ORANGE)
        url = tls_world.nginx.url("good")
        await lk.connect(
            url, server.token("lkdesk", room_name), trust=rtc.ServerTrust(tls_world.ca.pem)
        )
        assert lk.room.connection_state == rtc.ConnectionState.CONN_CONNECTED
        track = await lk.subscribed("peer", rtc.TrackKind.KIND_VIDEO)
        frames = await sample_video(track, 5)
        color = mean_color(frames[-1], content_region(frames[-1].shape[1], frames[-1].shape[0]))
        assert max(abs(c - e) for c, e in zip(color, ORANGE, strict=True)) < 30, color
    finally:
        await lk.aclose()
        await peer.aclose()


FAULTS = [
    # site, trust the test CA?, fault, words the message must contain
    ("self_signed", False, "self-signed", ("self-signed", "Trusted CA")),
    ("expired", True, "expired", ("has expired", "renew")),
    ("wrong_host", True, "wrong host name", ("different host name", "Check the server address")),
    ("unknown_ca", False, "unknown CA", ("does not trust", "trust this server's CA")),
]


@pytest.mark.parametrize(("site", "trusted", "fault", "words"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_each_certificate_fault_gets_its_own_message_for_signalling_and_roomservice(
    livekit_server: LiveKitServer,
    tls_world: TlsWorld,
    room_name: str,
    site: str,
    trusted: bool,
    fault: str,
    words: tuple[str, ...],
) -> None:
    trust = rtc.ServerTrust(tls_world.ca.pem if trusted else "")
    url = tls_world.nginx.url(site)
    room = rtc.Room()
    with pytest.raises(CertificateError) as joined:
        await room.connect(
            url, livekit_server.token("lkdesk", room_name), rtc.RoomOptions(trust=trust)
        )
    assert joined.value.fault == fault, joined.value
    assert "localhost" in str(joined.value)
    for word in words:
        assert word in str(joined.value), str(joined.value)
    assert room.connection_state == rtc.ConnectionState.CONN_DISCONNECTED

    https = tls_world.nginx.url(site, scheme="https")
    async with RoomAdmin.with_api_key(
        https, livekit_server.api_key, livekit_server.api_secret, trust=trust
    ) as admin:
        with pytest.raises(AdminCertificateError) as listed:
            await admin.list_rooms()
    assert listed.value.fault == fault
    assert str(listed.value) == str(joined.value), "the same fault reads the same everywhere"


async def test_roomservice_over_https_works_with_the_trusted_ca(
    livekit_server: LiveKitServer, tls_world: TlsWorld, room_name: str
) -> None:
    https = tls_world.nginx.url("good", scheme="https")
    trust = rtc.ServerTrust(tls_world.ca.pem)
    server = livekit_server
    async with RoomAdmin.with_api_key(
        https, server.api_key, server.api_secret, trust=trust
    ) as admin:
        created = await admin.create_room(room_name)
        assert created.name == room_name
        assert room_name in [r.name for r in await admin.list_rooms([room_name])]
        await admin.delete_room(room_name)


async def test_a_saved_servers_trusted_ca_applies_to_joining_and_to_host_actions(
    livekit_server: LiveKitServer, tls_world: TlsWorld, room_name: str, tmp_path: Path
) -> None:
    """The CA lives in the profile (profiles.json), reaches signalling and RoomService."""
    server = livekit_server
    url = tls_world.nginx.url("good")
    book = ProfileBook.session_only(tmp_path)
    profile = await book.save_api_key("Private", url, server.api_key, server.api_secret)
    factory = SessionFactory(book)
    target = ProfileTarget(profile.id, room=room_name, display_name="Me")

    untrusted = await factory.open(target)
    with pytest.raises(CertificateError, match="does not trust"):
        await untrusted.join(JoinOptions("Me", mic_on=False, camera_on=False))
    await untrusted.aclose()

    await book.set_trusted_ca(profile.id, tls_world.ca.pem)
    reread = ProfileBook.session_only(tmp_path)  # from the file, as the next start would
    assert [p.trusted_ca_pem for p in await reread.profiles()] == [tls_world.ca.pem.strip()]
    peer = SdkPeer(server.ws_url, server.token("peer", room_name))
    session = await factory.open(target)
    try:
        await peer.connect()
        await session.join(JoinOptions("Me", mic_on=False, camera_on=False))
        assert session.status.state is SessionState.CONNECTED
        await eventually(lambda: session.participant("peer") is not None)
        await session.rename_participant("peer", "Renamed by host")  # RoomService, over https

        def renamed() -> bool:
            state = session.participant("peer")
            return state is not None and state.display_name == "Renamed by host"

        await eventually(renamed)
    finally:
        await session.aclose()
        await peer.aclose()

"""ICE restart between two aiortc peers: new ICE session, same DTLS/SRTP/SCTP session.

Each restart happens while the old ICE path is dead (its UDP ports dropped), so whatever is
delivered afterwards went over the new candidate pair. Durations are printed (``-s``), not
asserted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aioice.ice
import pytest
from aiortc.rtcicetransport import RTCIceParameters
from aiortc.rtcsctptransport import RTCSctpTransport

from lkdesk.rtc.engine.adapt import ice_restart
from lkdesk.rtc.engine.adapt.ice_restart import IceRestarter, IceRestartError
from tests.rtc.engine.adapt.aiortc_pair import (
    COLOUR,
    Pair,
    Peer,
    negotiate,
    no_tasks_left,
    require_sandbox,
    udp_ports_dropped,
    until,
)


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    require_sandbox()
    peers = Pair()
    try:
        await peers.connect()
        yield peers
    finally:
        await peers.aclose()
    await no_tasks_left()


def _session(peer: Peer) -> dict[str, Any]:
    """The objects a new DTLS handshake or a new SCTP association would replace."""
    sctp = peer.pc.sctp
    assert sctp is not None
    dtls = sctp.transport
    return {
        "dtls": dtls,
        "ssl": dtls._ssl,
        "rx_srtp": dtls._rx_srtp,
        "tx_srtp": dtls._tx_srtp,
        "sctp": sctp,
        "media_dtls": [t.receiver.transport for t in peer.pc.getTransceivers()],
    }


def _assert_same_session(peer: Peer, before: dict[str, Any]) -> None:
    after = _session(peer)
    for key, value in before.items():
        if isinstance(value, list):
            assert all(a is b for a, b in zip(after[key], value, strict=True)), key
        else:
            assert after[key] is value, f"{peer.name}: {key} was replaced"
    assert after["dtls"].state == "connected"
    assert after["sctp"]._association_state == RTCSctpTransport.State.ESTABLISHED


def _colour_ok(colour: tuple[float, ...]) -> bool:
    return all(abs(c - e) < 12 for c, e in zip(colour, COLOUR, strict=True))


@pytest.mark.parametrize("restarting", ["a", "b"], ids=["first-offerer", "first-answerer"])
async def test_restart_keeps_dtls_srtp_and_sctp_and_moves_everything_to_the_new_pair(
    pair: Pair, restarting: str
) -> None:
    offerer, answerer = (pair.a, pair.b) if restarting == "a" else (pair.b, pair.a)
    sessions = {peer.name: _session(peer) for peer in (pair.a, pair.b)}
    old_ports = pair.a.local_ports() + pair.b.local_ports()
    assert pair.a.channel is not None and pair.b.channel is not None
    for peer in (pair.a, pair.b):
        peer.received.states.clear()
    with udp_ports_dropped(old_ports):
        started = time.monotonic()
        # Sent while no path works: SCTP must keep it and deliver it after the restart.
        pair.a.channel.send("a-during-restart")
        pair.b.channel.send("b-during-restart")
        await negotiate(offerer, answerer, restart=True)
        results = {
            offerer.name: await offerer.restarter.wait(),
            answerer.name: await answerer.restarter.wait(),
        }
        switched = time.monotonic()
        await until(lambda: len(pair.b.received.frames_after(switched)) >= 10)
        pair.a.channel.send("a-after")
        pair.b.channel.send("b-after")
        await until(lambda: "a-after" in pair.b.received.messages)
        await until(lambda: "b-after" in pair.a.received.messages)
    print(
        f"\nrestart by {restarting}: "
        + ", ".join(f"{n} {r.duration_s * 1000:.0f} ms" for n, r in results.items())
        + f"; first frame {(pair.b.received.frames_after(started)[0][0] - started) * 1000:.0f} ms"
    )
    assert pair.b.received.messages == ["a-during-restart", "a-after"]
    assert pair.a.received.messages == ["b-during-restart", "b-after"]
    for peer in (pair.a, pair.b):
        _assert_same_session(peer, sessions[peer.name])
        assert not set(peer.local_ports()) & set(old_ports)
        assert peer.received.states == ["connecting", "connected"]
        assert peer.pc.iceConnectionState == "completed"
    frames = pair.b.received.frames_after(switched)
    pts = [f[1] for f in frames]
    assert pts == sorted(pts) and len(set(pts)) == len(pts)
    assert all(_colour_ok(f[2]) for f in frames)


async def test_restarts_in_a_row_each_get_new_credentials_and_keep_the_session(pair: Pair) -> None:
    session = _session(pair.a)
    ufrags = set()
    for offerer, answerer in ((pair.a, pair.b), (pair.b, pair.a), (pair.a, pair.b)):
        await negotiate(offerer, answerer, restart=True)
        await offerer.restarter.wait()
        await answerer.restarter.wait()
        description = pair.a.pc.localDescription
        ufrags.add(next(ln for ln in description.sdp.splitlines() if "ice-ufrag" in ln))
    assert len(ufrags) == 3
    moment = time.monotonic()
    await until(lambda: len(pair.b.received.frames_after(moment)) >= 5)
    _assert_same_session(pair.a, session)


async def test_an_offer_without_new_credentials_is_not_a_restart(pair: Pair) -> None:
    await pair.a.pc.setLocalDescription(await pair.a.pc.createOffer())
    assert not pair.b.restarter.is_restart(pair.a.pc.localDescription.sdp)
    await pair.b.pc.setRemoteDescription(pair.a.pc.localDescription)
    await pair.b.pc.setLocalDescription(await pair.b.pc.createAnswer())
    await pair.a.pc.setRemoteDescription(pair.b.pc.localDescription)
    await pair.a.restarter.prepare()
    await pair.a.pc.setLocalDescription(await pair.a.pc.createOffer())
    assert pair.b.restarter.is_restart(pair.a.pc.localDescription.sdp)
    await pair.a.restarter.aclose()


async def test_an_answer_that_keeps_the_old_credentials_fails_the_restart_at_once(
    pair: Pair,
) -> None:
    await pair.a.restarter.prepare()
    await pair.a.pc.setLocalDescription(await pair.a.pc.createOffer())
    await pair.b.pc.setRemoteDescription(pair.a.pc.localDescription)  # b does not restart
    await pair.b.pc.setLocalDescription(await pair.b.pc.createAnswer())
    await pair.a.pc.setRemoteDescription(pair.b.pc.localDescription)
    pair.a.restarter.start()
    with pytest.raises(IceRestartError, match="without restarting"):
        await pair.a.restarter.wait()
    assert pair.a.restarter.state == "failed"
    assert pair.a.pc.iceConnectionState == "failed"
    assert pair.a.pc.connectionState == "failed"


async def test_a_restart_whose_checks_never_succeed_fails_in_time_and_a_retry_succeeds(
    pair: Pair,
) -> None:
    pair.a.restarter = IceRestarter(pair.a.pc, timeout_s=1.5)
    await pair.a.restarter.prepare()
    await pair.a.pc.setLocalDescription(await pair.a.pc.createOffer())
    await pair.b.restarter.prepare()
    with udp_ports_dropped(pair.a.local_ports() + pair.b.local_ports()):  # the new ports
        await pair.b.pc.setRemoteDescription(pair.a.pc.localDescription)
        await pair.b.pc.setLocalDescription(await pair.b.pc.createAnswer())
        pair.b.restarter.start()
        await pair.a.pc.setRemoteDescription(pair.b.pc.localDescription)
        pair.a.restarter.start()
        async with asyncio.timeout(5):  # reported, not hanging
            with pytest.raises(IceRestartError, match="failed"):
                await pair.a.restarter.wait()
    assert pair.a.pc.iceConnectionState == "failed"
    assert pair.a.pc.connectionState == "failed"
    await negotiate(pair.a, pair.b, restart=True)
    await pair.a.restarter.wait()
    await pair.b.restarter.wait()
    assert pair.connected()
    moment = time.monotonic()
    await until(lambda: len(pair.b.received.frames_after(moment)) >= 5)


async def test_dtls_and_sctp_outlive_an_expired_ice_consent_and_a_restart_revives_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_sandbox()
    monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", 0.2)  # expiry after ~1.2 s, not 30 s
    peers = Pair()
    try:
        await peers.connect()
        for peer in (peers.a, peers.b):
            await peer.restarter.install()
        session = _session(peers.a)
        assert peers.a.channel is not None
        with udp_ports_dropped(peers.a.local_ports() + peers.b.local_ports()):
            await until(lambda: peers.a.pc.iceConnectionState == "failed")
            assert peers.a.pc.connectionState == "failed"
            peers.a.channel.send("sent-while-failed")
            await negotiate(peers.b, peers.a, restart=True)
            await peers.a.restarter.wait()
            await peers.b.restarter.wait()
            await until(lambda: "sent-while-failed" in peers.b.received.messages)
            moment = time.monotonic()
            await until(lambda: len(peers.b.received.frames_after(moment)) >= 5)
        _assert_same_session(peers.a, session)
        assert peers.a.pc.connectionState == "connected"
        assert peers.b.received.messages == ["sent-while-failed"]
    finally:
        await peers.aclose()
    await no_tasks_left()


async def test_closing_the_peer_connections_mid_restart_closes_every_ice_connection() -> None:
    require_sandbox()
    peers = Pair()
    owned = []
    try:
        await peers.connect()
        await peers.a.restarter.prepare()
        await peers.a.pc.setLocalDescription(await peers.a.pc.createOffer())
        await peers.b.restarter.prepare()
        with udp_ports_dropped(peers.a.local_ports() + peers.b.local_ports()):
            await peers.b.pc.setRemoteDescription(peers.a.pc.localDescription)
            await peers.b.pc.setLocalDescription(await peers.b.pc.createAnswer())
            peers.b.restarter.start()
            await peers.a.pc.setRemoteDescription(peers.b.pc.localDescription)
            peers.a.restarter.start()
            for peer in (peers.a, peers.b):
                bridge = peer.restarter.bridge
                assert bridge is not None and peer.restarter.state == "checking"
                owned += list(bridge._owned)
            assert len(owned) == 4
            for peer in (peers.a, peers.b):
                await peer.pc.close()  # before anyone calls the restarters' aclose()
    finally:
        await peers.aclose()
    assert all(conn._closed for conn in owned)
    await no_tasks_left()


async def test_aiortc_alone_never_applies_new_remote_credentials(pair: Pair) -> None:
    """Why this adaptation exists (pins aiortc 1.16): a started ICE transport ignores start()."""
    sctp = pair.a.pc.sctp
    assert sctp is not None
    ice = sctp.transport.transport
    before = (ice._connection.remote_username, ice._connection.remote_password)
    await ice.start(RTCIceParameters(usernameFragment="nEwU", password="n" * 22))
    assert (ice._connection.remote_username, ice._connection.remote_password) == before
    assert ice.state == "completed"


def test_the_aiortc_and_aioice_internals_it_relies_on_are_still_there() -> None:
    ice_restart.check_compatible()

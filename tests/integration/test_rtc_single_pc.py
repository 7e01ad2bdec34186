"""Single-peer-connection mode (``/rtc/v1``) on the real server, with official-SDK peers.

One peer connection carries lkdesk's media both ways; the server fills receive-only media
lines through its answers and moves them between tracks as peers publish and unpublish.
Real network faults in this mode are in test_faults.py and test_ice_restart_livekit.py
(their ``v1`` cases).
"""

from __future__ import annotations

import asyncio

import pytest
from livekit.protocol import rtc as proto_rtc

from lkdesk import rtc
from tests.integration.analysis import content_region, dominant_frequency, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_media import produce_tone, produce_video, running
from tests.integration.lkdesk_peer import LkdeskPeer, eventually, sample_audio, sample_video
from tests.integration.peers import SdkPeer
from tests.integration.signal_relay import signal_relay
from tests.integration.test_rtc_chat import SdkChat
from tests.integration.test_rtc_receive import COLORS, TONES, check_media

pytestmark = pytest.mark.integration

MAGENTA = (220, 30, 200)


def _close(color: tuple[float, float, float], expected: tuple[int, int, int]) -> bool:
    return max(abs(c - e) for c, e in zip(color, expected, strict=True)) < 30


async def test_v1_join_uses_one_peer_connection_and_exchanges_media_and_chat(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    peers: list[SdkPeer] = []
    lk = LkdeskPeer()
    source = rtc.VideoSource(320, 240)
    mic = rtc.AudioSource(48_000, 1)
    try:
        for identity in ("alice", "bob"):
            peer = SdkPeer(server.ws_url, server.token(identity, room_name))
            await peer.connect()
            await peer.publish_video(color=COLORS[identity])
            await peer.publish_tone(TONES[identity])
            peers.append(peer)
        await lk.connect(
            server.ws_url, server.token("lkdesk", room_name), single_peer_connection=True
        )
        engine = lk.room._engine
        assert engine.single_connection is not None and engine.subscriber is None
        async with running(produce_video(source, MAGENTA)), running(produce_tone(mic, 550.0)):
            await lk.room.local_participant.publish_track(
                rtc.LocalVideoTrack.create_video_track("camera", source),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA),
            )
            await lk.room.local_participant.publish_track(
                rtc.LocalAudioTrack.create_audio_track("mic", mic),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
            )
            await asyncio.gather(*(check_media(lk, identity) for identity in ("alice", "bob")))

            alice = peers[0]
            async with asyncio.timeout(20):
                video = await alice.subscribed_track("lkdesk", "camera")
                frames = await alice.collect_video(video, frames=5)
                audio = await alice.subscribed_track("lkdesk", "mic")
                samples = await alice.collect_audio(audio, seconds=1.0)
            assert _close(mean_color(frames[-1].rgb, content_region(320, 240)), MAGENTA)
            assert abs(dominant_frequency(samples, 48_000) - 550.0) < 11

            chat = rtc.Chat(lk.room)
            alice_chat = SdkChat(alice)
            message = await chat.send("hello over one pc")
            assert message.state == rtc.DeliveryState.SENT
            await eventually(lambda: any(m[2] == "hello over one pc" for m in alice_chat.messages))
            # Downstream data arrives on the one PC's own channels.
            await alice.room.local_participant.send_text("hello back", topic="lk.chat")
            await eventually(lambda: any(m.message == "hello back" for m in chat.history))
        assert engine.single_connection is not None
        assert lk.room.media_routes()["subscriber"] == lk.room.media_routes()["publisher"]
    finally:
        await lk.aclose()
        for peer in peers:
            await peer.aclose()


def _track_named(lk: LkdeskPeer, identity: str, name: str) -> rtc.RemoteTrack | None:
    participant = lk.room.remote_participants.get(identity)
    if participant is None:
        return None
    for publication in participant.track_publications.values():
        if publication.name == name and publication.track is not None:
            return publication.track
    return None


async def _check_content(
    lk: LkdeskPeer, identity: str, video: str, audio: str, color: tuple[int, int, int], tone: float
) -> None:
    await lk.wait_until(lambda: _track_named(lk, identity, video) is not None, deadline_s=20)
    await lk.wait_until(lambda: _track_named(lk, identity, audio) is not None, deadline_s=20)
    video_track, audio_track = _track_named(lk, identity, video), _track_named(lk, identity, audio)
    assert video_track is not None and audio_track is not None
    frames = await sample_video(video_track, frames=5, deadline_s=15)
    h, w = frames[-1].shape[:2]
    assert _close(mean_color(frames[-1], content_region(w, h)), color), (identity, video)
    samples = await sample_audio(audio_track, seconds=1.0, deadline_s=15)
    freq = dominant_frequency(samples, 48_000)
    assert abs(freq - tone) / tone < 0.03, (identity, audio, freq)


ROUND_COLORS = [(220, 40, 40), (40, 200, 60), (40, 60, 220), (230, 200, 40)]


async def test_v1_media_lines_move_between_tracks_as_peers_publish_and_unpublish(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    """The server re-assigns lkdesk's receive-only lines to new tracks through answers."""
    server = livekit_server
    lk = LkdeskPeer()
    peers = {
        name: SdkPeer(server.ws_url, server.token(name, room_name)) for name in ("alice", "bob")
    }
    mids_of_sid: dict[str, str] = {}
    try:
        for peer in peers.values():
            await peer.connect()
        await lk.connect(
            server.ws_url, server.token("lkdesk", room_name), single_peer_connection=True
        )
        single = lk.room._engine.single_connection
        assert single is not None
        for round_ in range(3):
            checks = []
            for index, (name, peer) in enumerate(peers.items()):
                color = ROUND_COLORS[(round_ + index) % len(ROUND_COLORS)]
                tone = 300.0 + 150.0 * index + 50.0 * round_
                await peer.publish_video(color=color, name=f"cam{round_}")
                await peer.publish_tone(tone, name=f"mic{round_}")
                checks.append(_check_content(lk, name, f"cam{round_}", f"mic{round_}", color, tone))
            await asyncio.gather(*checks)
            for mid, sid in single.bindings.items():
                mids_of_sid[sid] = mid
            for peer in peers.values():
                await peer.unpublish(f"cam{round_}")
                await peer.unpublish(f"mic{round_}")
            await lk.wait_until(
                lambda r=round_: all(  # type: ignore[misc]
                    _track_named(lk, name, f"{kind}{r}") is None
                    for name in peers
                    for kind in ("cam", "mic")
                ),
                deadline_s=15,
            )
        sids_per_mid: dict[str, set[str]] = {}
        for sid, mid in mids_of_sid.items():
            sids_per_mid.setdefault(mid, set()).add(sid)
        assert len(mids_of_sid) == 12  # every track of every round was bound
        reused = [mid for mid, sids in sids_per_mid.items() if len(sids) > 1]
        assert reused, f"no media line carried two tracks: {sids_per_mid}"
        assert len(lk.events["track_unsubscribed"]) == 12
    finally:
        await lk.aclose()
        for peer in peers.values():
            await peer.aclose()


# ----- a server without /rtc/v1 -------------------------------------------------------------


async def test_scripted_server_without_v1_gets_a_two_pc_join_and_stays_on_rtc(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    """A relay in front of the real server answers /rtc/v1 with Go's plain 404."""
    server = livekit_server
    peer = SdkPeer(server.ws_url, server.token("alice", room_name))
    lk = LkdeskPeer()
    try:
        await peer.connect()
        await peer.publish_video(color=COLORS["alice"])
        await peer.publish_tone(TONES["alice"])
        async with signal_relay(server.ws_url, without_v1=True) as relay:
            await lk.connect(
                relay.url, server.token("lkdesk", room_name), single_peer_connection=True
            )
            engine = lk.room._engine
            assert engine.single_connection is None and engine.subscriber is not None
            assert relay.paths[0].startswith("/rtc/v1?join_request=")
            assert relay.paths[1].startswith("/rtc?")
            await check_media(lk, "alice")

            # Reconnecting stays on /rtc: a resume first and, if that fails, a full rejoin;
            # neither asks for /rtc/v1 again. (Through this relay a resume's ICE restart
            # has not completed in our runs, in two-PC mode too: not investigated yet.)
            signal = engine.signal
            assert signal is not None and signal._ws is not None
            signal._ws.transport.abort()
            await lk.wait_for("reconnected", deadline_s=60)
            assert [p for p in relay.paths if p.startswith("/rtc/v1")] == relay.paths[:1]
            assert relay.paths[2].startswith("/rtc?") and "reconnect=1" in relay.paths[2]
            assert lk.room._engine.single_connection is None
            video = await lk.subscribed("alice", rtc.TrackKind.KIND_VIDEO)
            frames = await sample_video(video, frames=3)
            h, w = frames[-1].shape[:2]
            assert _close(mean_color(frames[-1], content_region(w, h)), COLORS["alice"])
    finally:
        await lk.aclose()
        await peer.aclose()


async def test_forcing_two_pcs_never_asks_for_v1(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    async with signal_relay(server.ws_url) as relay:
        try:
            await lk.connect(
                relay.url, server.token("lkdesk", room_name), single_peer_connection=False
            )
            assert lk.room._engine.single_connection is None
            assert [p.split("?")[0] for p in relay.paths] == ["/rtc"]
        finally:
            await lk.aclose()


# ----- resume in single-PC mode ---------------------------------------------------------------


async def test_v1_signal_drop_resumes_with_an_ice_restart_offer_keeping_tracks_and_data(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("peer", room_name))
    source = rtc.VideoSource(320, 240)
    try:
        await peer.connect()
        await peer.publish_video(color=COLORS["bob"])
        peer_chat = SdkChat(peer)
        await lk.connect(
            server.ws_url, server.token("lkdesk", room_name), single_peer_connection=True
        )
        chat = rtc.Chat(lk.room)
        single = lk.room._engine.single_connection
        assert single is not None
        async with running(produce_video(source, MAGENTA)):
            await lk.room.local_participant.publish_track(
                rtc.LocalVideoTrack.create_video_track("camera", source),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA),
            )
            await lk.subscribed("peer", rtc.TrackKind.KIND_VIDEO)
            old_sid = lk.room.local_participant.sid
            ufrag = _ufrag(single.last_offer)

            signal = lk.room._engine.signal
            assert signal is not None and signal._ws is not None
            signal._ws.transport.abort()

            await lk.wait_for("reconnecting", deadline_s=20)
            await lk.wait_for("reconnected", deadline_s=30)
            assert lk.room._engine.single_connection is single  # the same PC, ICE restarted
            assert _ufrag(single.last_offer) != ufrag
            assert lk.room.local_participant.sid == old_sid
            assert not peer.events["participant_disconnected"]
            assert not lk.events["disconnected"]

            video = await lk.subscribed("peer", rtc.TrackKind.KIND_VIDEO)
            frames = await sample_video(video, frames=5)
            assert _close(mean_color(frames[-1], content_region(320, 240)), COLORS["bob"])
            async with asyncio.timeout(20):
                remote = await peer.subscribed_track("lkdesk", "camera")
                received = await peer.collect_video(remote, frames=5)
            assert _close(mean_color(received[-1].rgb, content_region(320, 240)), MAGENTA)

            message = await chat.send("still here")
            assert message.state == rtc.DeliveryState.SENT
            await eventually(lambda: any(m[2] == "still here" for m in peer_chat.messages))
            await peer.room.local_participant.send_text("welcome back", topic="lk.chat")
            await eventually(lambda: any(m.message == "welcome back" for m in chat.history))
    finally:
        await lk.aclose()
        await peer.aclose()


def _ufrag(description: proto_rtc.SessionDescription | None) -> str:
    assert description is not None
    return next(
        line.split(":", 1)[1]
        for line in description.sdp.splitlines()
        if line.startswith("a=ice-ufrag:")
    )

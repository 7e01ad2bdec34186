"""Room events, m-line reuse, speakers and server-side endings against the real server."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from livekit import api

from lkdesk import rtc
from tests.integration.analysis import content_region, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, sample_video
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration


def close_to(actual: tuple[float, float, float], expected: tuple[int, int, int]) -> bool:
    return max(abs(a - e) for a, e in zip(actual, expected, strict=True)) < 30


async def latest_color(
    lk: LkdeskPeer, identity: str, track_name: str
) -> tuple[float, float, float]:
    def subscribed() -> rtc.RemoteTrack | None:
        participant = lk.room.remote_participants.get(identity)
        if participant is None:
            return None
        for publication in participant.track_publications.values():
            if publication.name == track_name and publication.track is not None:
                return publication.track
        return None

    await lk.wait_until(lambda: subscribed() is not None, deadline_s=15)
    track = subscribed()
    assert track is not None
    frames = await sample_video(track, frames=5)
    h, w = frames[-1].shape[:2]
    return mean_color(frames[-1], content_region(w, h))


async def test_republished_track_reuses_mline_and_content_stays_right(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    """Five unpublish/republish rounds with new colours while two others keep sending VP8."""
    server = livekit_server
    steady = {"anna": (230, 30, 30), "ben": (30, 220, 30)}
    rounds = [(200, 200, 40), (40, 200, 200), (200, 40, 200), (240, 240, 240), (90, 90, 230)]
    lk = LkdeskPeer()
    peers: list[SdkPeer] = []
    try:
        for identity, color in steady.items():
            peer = SdkPeer(server.ws_url, server.token(identity, room_name))
            await peer.connect()
            await peer.publish_video(color=color)
            peers.append(peer)
        flipper = SdkPeer(server.ws_url, server.token("flip", room_name))
        await flipper.connect()
        peers.append(flipper)
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        for i, color in enumerate(rounds):
            name = f"cam{i}"
            await flipper.publish_video(color=color, name=name)
            assert close_to(await latest_color(lk, "flip", name), color), f"round {i}"
            await flipper.unpublish(name)
            await lk.wait_for("track_unpublished", lambda pub, p, n=name: pub.name == n)
        for identity, color in steady.items():
            assert close_to(await latest_color(lk, identity, "camera"), color), identity
        reused = {
            mid
            for mid, sid in lk.room._engine.receiving_connection.bindings.items()  # type: ignore[union-attr]
        }
        assert len(reused) <= 4, f"m-lines were not reused: {reused}"
    finally:
        await lk.aclose()
        for peer in peers:
            await peer.aclose()


async def test_peer_changes_reach_lkdesk_as_events_within_a_second(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("pat", room_name, name="Pat", metadata="m0"))
    await peer.connect()
    try:
        mic = await peer.publish_tone(500.0)
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        pat = lk.room.remote_participants["pat"]
        await lk.wait_until(lambda: any(p.subscribed for p in pat.track_publications.values()))

        async def within_a_second(event: str, action, predicate=lambda *_: True):  # type: ignore[no-untyped-def]
            since = time.monotonic()
            await action
            when, args = await lk.wait_for(event, predicate, since=since, deadline_s=5)
            assert when - since < 1.0, f"{event} took {when - since:.2f} s"
            return args

        args = await within_a_second("track_muted", _mute(mic, True))
        assert args[0] is pat and args[1].sid == mic.sid and args[1].muted
        args = await within_a_second("track_unmuted", _mute(mic, False))
        assert not args[1].muted
        args = await within_a_second("participant_metadata_changed", peer.set_metadata("m1"))
        assert args[1:] == ("m0", "m1")
        args = await within_a_second("participant_name_changed", peer.set_name("Patricia"))
        assert args[1:] == ("Pat", "Patricia")
        args = await within_a_second(
            "participant_attributes_changed", peer.set_attributes({"k": "v"})
        )
        assert args[0] == {"k": "v"} and pat.attributes == {"k": "v"}
        lkapi = api.LiveKitAPI(server.http_url, server.api_key, server.api_secret)
        try:
            args = await within_a_second(
                "room_metadata_changed",
                lkapi.room.update_room_metadata(
                    api.UpdateRoomMetadataRequest(room=room_name, metadata="room-1")
                ),
            )
        finally:
            await lkapi.aclose()
        assert args == ("", "room-1") and lk.room.metadata == "room-1"
        args = await within_a_second("track_unsubscribed", peer.unpublish("mic"))
        await lk.wait_for("track_unpublished", lambda pub, p: pub.sid == mic.sid)
        assert mic.sid not in pat.track_publications
        await within_a_second(
            "participant_disconnected", peer.aclose(), lambda p: p.identity == "pat"
        )
        assert "pat" not in lk.room.remote_participants
    finally:
        await lk.aclose()
        await peer.aclose()


async def _mute(publication, muted: bool) -> None:  # type: ignore[no-untyped-def]
    if muted:
        publication.track.mute()
    else:
        publication.track.unmute()


async def test_active_speaker_is_the_loud_peer(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    lk = LkdeskPeer()
    loud = SdkPeer(server.ws_url, server.token("loud", room_name))
    quiet = SdkPeer(server.ws_url, server.token("quiet", room_name))
    # The server reports speaker *changes*, so lkdesk is in the room before anyone talks.
    await lk.connect(server.ws_url, server.token("lkdesk", room_name))
    await loud.connect()
    await quiet.connect()
    try:
        await quiet.publish_tone(300.0, amplitude=0.0)
        await loud.publish_tone(300.0, amplitude=0.8)
        _, (speakers,) = await lk.wait_for(
            "active_speakers_changed", lambda s: bool(s), deadline_s=10
        )
        assert [p.identity for p in speakers] == ["loud"]
        assert lk.room.remote_participants["loud"].is_speaking
        assert not lk.room.remote_participants["quiet"].is_speaking
    finally:
        await lk.aclose()
        await loud.aclose()
        await quiet.aclose()


@pytest.mark.parametrize("action", ["remove_participant", "delete_room"])
async def test_server_ending_the_session_reports_reason_and_leaves_nothing(
    livekit_server: LiveKitServer, room_name: str, action: str
) -> None:
    server = livekit_server
    threads_before = {t.ident for t in threading.enumerate()}
    lk = LkdeskPeer()
    peer = SdkPeer(server.ws_url, server.token("pub", room_name))
    await peer.connect()
    lkapi = api.LiveKitAPI(server.http_url, server.api_key, server.api_secret)
    try:
        await peer.publish_video()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        await lk.subscribed("pub", rtc.TrackKind.KIND_VIDEO)
        if action == "remove_participant":
            await lkapi.room.remove_participant(
                api.RoomParticipantIdentity(room=room_name, identity="lkdesk")
            )
            expected = rtc.DisconnectReason.PARTICIPANT_REMOVED
        else:
            await lkapi.room.delete_room(api.DeleteRoomRequest(room=room_name))
            expected = rtc.DisconnectReason.ROOM_DELETED
        _, (reason,) = await lk.wait_for("disconnected", deadline_s=5)
        assert reason == expected
        assert "administrator" in rtc.describe_disconnect(reason)
        assert lk.room.connection_state == rtc.ConnectionState.CONN_DISCONNECTED
        await asyncio.sleep(0.5)
        leftovers = [
            t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("lkdesk-")
        ]
        assert not leftovers, leftovers
        new_threads = [
            t.name
            for t in threading.enumerate()
            if t.ident not in threads_before and "decoder" in t.name
        ]
        assert not new_threads, new_threads
    finally:
        await lkapi.aclose()
        await lk.aclose()
        await peer.aclose()

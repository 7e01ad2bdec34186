"""Protocol 16: lkdesk follows a RoomMoved (RoomService.MoveParticipant), keeping its media.

The pinned livekit-server (v1.13.5, and v1.13.11, the newest release) answers MoveParticipant
with "not implemented" (``RoomManager.MoveParticipant``), so it never sends RoomMoved; the
move comes from a scripted signalling relay in front of the real server
(tests/integration/signal_relay.py), while media flows between lkdesk and the real server.
The scripted move names the same real publisher as the new room's occupant, so the frames
that arrive afterwards prove the media connections were kept.
"""

from __future__ import annotations

import asyncio

import pytest
from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk import rtc
from tests.integration.analysis import content_region, decode_counter, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_media import produce_video, running
from tests.integration.lkdesk_peer import LkdeskPeer, sample_video
from tests.integration.peers import SdkPeer
from tests.integration.signal_relay import signal_relay

pytestmark = pytest.mark.integration

GREEN = (30, 210, 60)
ORANGE = (240, 130, 20)


def close_to(color: tuple[float, float, float], want: tuple[int, int, int]) -> bool:
    return all(abs(c - w) < 40 for c, w in zip(color, want, strict=True))


async def test_room_moved_from_a_scripted_signal_relay_keeps_media_and_renames_the_room(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    peer = SdkPeer(server.ws_url, server.token("alice", room_name))
    lk = LkdeskPeer()
    source = rtc.VideoSource(320, 240)
    async with signal_relay(server.ws_url) as relay:
        try:
            await peer.connect()
            await peer.publish_video(color=GREEN)
            await lk.connect(relay.url, server.token("lkdesk", room_name))
            async with running(produce_video(source, ORANGE)):
                camera = rtc.LocalVideoTrack.create_video_track("camera", source)
                local = lk.room.local_participant
                assert local is not None
                published = await local.publish_track(
                    camera, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
                )
                before = await lk.subscribed("alice", rtc.TrackKind.KIND_VIDEO)
                frames = await sample_video(before, 5)
                assert close_to(mean_color(frames[-1], content_region(320, 240)), GREEN)
                async with asyncio.timeout(15):
                    at_alice = await peer.subscribed_track("lkdesk", "camera")
                    await peer.collect_video(at_alice, frames=5)
                engine = lk.room._engine
                subscriber, publisher = engine.receiving_connection, engine.publisher_connection

                new_name = f"{room_name}-moved"
                new_token = server.token("lkdesk", new_name)
                moved_at = asyncio.get_running_loop().time()
                alice_info = lk.room.remote_participants["alice"].info
                await relay.inject(
                    proto_rtc.SignalResponse(
                        room_moved=proto_rtc.RoomMovedResponse(
                            room=proto_models.Room(sid="RM_scripted", name=new_name),
                            token=new_token,
                            participant=local.info,
                            other_participants=[alice_info],
                        )
                    )
                )
                await lk.wait_for("moved", deadline_s=5)
                assert (lk.room.name, lk.room.sid, lk.room.token) == (
                    new_name,
                    "RM_scripted",
                    new_token,
                )
                assert lk.room._engine.join is not None
                assert lk.room._engine.join.room.name == new_name

                # the old room's people left before "moved", the new room's arrived after
                order = sorted(
                    (when, name)
                    for name in ("participant_disconnected", "moved", "participant_connected")
                    for when, _args in lk.events[name]
                    if when >= moved_at
                )
                assert [name for _when, name in order] == [
                    "participant_disconnected",
                    "moved",
                    "participant_connected",
                ]
                assert lk.events["token_refreshed"]

                # same connections, same publication, media still flowing both ways
                after = await lk.subscribed("alice", rtc.TrackKind.KIND_VIDEO)
                assert after is not before
                frames = await sample_video(after, 5)
                assert close_to(mean_color(frames[-1], content_region(320, 240)), GREEN)
                async with asyncio.timeout(15):
                    seen = await peer.collect_video(at_alice, frames=10)
                counters = [decode_counter(f.rgb) for f in seen]
                assert counters == sorted(counters) and counters[-1] > counters[0]
                assert close_to(mean_color(seen[-1].rgb, content_region(320, 240)), ORANGE)
                assert (engine.receiving_connection, engine.publisher_connection) == (
                    subscriber,
                    publisher,
                )
                assert published.sid in local.track_publications
                assert not lk.events["reconnecting"]
                assert lk.room.connection_state == rtc.ConnectionState.CONN_CONNECTED
                assert "room_moved" not in relay.to_client  # the real server never sent one
        finally:
            await lk.aclose()
            await peer.aclose()

"""Track subscription permissions with the official SDK, both ways, across a rejoin."""

from __future__ import annotations

import asyncio

import pytest
from livekit import rtc as sdk

from lkdesk import rtc
from tests.integration.analysis import content_region, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_media import produce_video, running
from tests.integration.lkdesk_peer import LkdeskPeer, sample_video
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration

ORANGE = (240, 130, 20)
BLUE = (30, 60, 230)


async def test_lkdesk_decides_who_may_subscribe_and_keeps_it_across_a_rejoin(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    alice = SdkPeer(server.ws_url, server.token("alice", room_name))
    bob = SdkPeer(server.ws_url, server.token("bob", room_name))
    lk = LkdeskPeer()
    source = rtc.VideoSource(320, 240)
    try:
        await alice.connect()
        await bob.connect()
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        local = lk.room.local_participant
        assert local is not None
        local.set_track_subscription_permissions(
            allow_all_participants=False,
            participant_permissions=[rtc.ParticipantTrackPermission("alice", allow_all=True)],
        )
        async with running(produce_video(source, ORANGE)):
            await local.publish_track(
                rtc.LocalVideoTrack.create_video_track("camera", source),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA),
            )
            async with asyncio.timeout(15):
                track = await alice.subscribed_track("lkdesk", "camera")
                frames = await alice.collect_video(track, frames=3)
            colour = mean_color(frames[-1].rgb, content_region(320, 240))
            assert all(abs(c - o) < 40 for c, o in zip(colour, ORANGE, strict=True)), colour
            await asyncio.sleep(1.5)  # bob had as long as alice: still nothing
            assert not bob.events["track_subscribed"]

            # a full rejoin (new session, republished track): the setting is sent again
            old_sid = local.sid
            lk.room._engine.connection_lost("test: force a full rejoin", resume=False)
            await lk.wait_for("reconnected", deadline_s=20)
            async with asyncio.timeout(20):
                await alice.room_track_after("lkdesk", "camera", old_sid)
            await asyncio.sleep(1.5)
            assert not bob.events["track_subscribed"]

            local.set_track_subscription_permissions(allow_all_participants=True)
            async with asyncio.timeout(15):
                await bob.subscribed_track("lkdesk", "camera")
    finally:
        await lk.aclose()
        await alice.aclose()
        await bob.aclose()


async def test_a_refused_track_is_reported_then_arrives_once_allowed(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    carol = SdkPeer(server.ws_url, server.token("carol", room_name))
    lk = LkdeskPeer()
    try:
        await carol.connect()
        carol.room.local_participant.set_track_subscription_permissions(
            allow_all_participants=False, participant_permissions=[]
        )
        await carol.publish_video(color=BLUE)
        await lk.connect(server.ws_url, server.token("lkdesk", room_name))
        _, (participant, publication, status) = await lk.wait_for(
            "track_subscription_permission_changed", deadline_s=10
        )
        assert (participant.identity, status) == ("carol", "not_allowed")
        assert publication.subscription_allowed is False and publication.wanted
        assert publication.track is None and not lk.events["track_subscribed"]

        carol.room.local_participant.set_track_subscription_permissions(
            allow_all_participants=False,
            participant_permissions=[
                sdk.ParticipantTrackPermission(participant_identity="lkdesk", allow_all=True)
            ],
        )
        await lk.wait_for(
            "track_subscription_permission_changed",
            lambda _p, _pub, s: s == "allowed",
            deadline_s=10,
        )
        assert publication.subscription_allowed is True
        track = await lk.subscribed("carol", rtc.TrackKind.KIND_VIDEO)
        frames = await sample_video(track, 3)
        colour = mean_color(frames[-1], content_region(frames[-1].shape[1], frames[-1].shape[0]))
        assert all(abs(c - b) < 40 for c, b in zip(colour, BLUE, strict=True)), colour
    finally:
        await lk.aclose()
        await carol.aclose()

"""Participant administration against the real server: each action's effect on SDK peers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from livekit.rtc.participant import PublishTrackError

from lkdesk.admin import RoomAdmin, UnsupportedByServerError
from tests.admin.conftest import Joiner
from tests.admin.live_helpers import audio_frames, event, eventually
from tests.integration.peers import SdkPeer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]

PUBLISH_REFUSED_S = 5.0


def _from(identity: str) -> Callable[..., bool]:
    return lambda *args: any(getattr(a, "identity", None) == identity for a in args)


async def _make_visible(peer: SdkPeer, observer: SdkPeer) -> None:
    """livekit-server tells others about a participant only once it has metadata or tracks."""
    await peer.set_metadata("visible")
    await event(observer, "participant_connected", _from(peer.identity))


async def test_remove_disconnects_the_peer(room_name: str, admin: RoomAdmin, join: Joiner) -> None:
    async with join("alice") as alice, join("bob") as bob:
        assert {p.identity for p in await admin.list_participants(room_name)} == {"alice", "bob"}
        await _make_visible(bob, alice)
        await admin.remove_participant(room_name, "bob")
        await event(bob, "disconnected")
        await event(alice, "participant_disconnected", _from("bob"))
        left = await eventually(lambda: admin.list_participants(room_name), lambda p: len(p) == 1)
    assert [p.identity for p in left] == ["alice"]


async def test_mute_and_unmute_reach_the_publisher_and_subscribers(
    room_name: str, admin: RoomAdmin, join: Joiner
) -> None:
    async with join("alice") as alice, join("bob") as bob:
        pub = await alice.publish_tone(440)
        await bob.subscribed_track("alice", "mic")
        (track,) = (await admin.get_participant(room_name, "alice")).tracks
        assert (track.sid, track.source, track.muted) == (pub.sid, "microphone", False)

        muted = await admin.mute_track(room_name, "alice", pub.sid, muted=True)
        assert muted.muted
        await event(bob, "track_muted", lambda part, p: p.sid == pub.sid)
        await event(alice, "track_muted", lambda part, p: p.sid == pub.sid)
        assert pub.muted

        await admin.mute_track(room_name, "alice", pub.sid, muted=False)
        await event(bob, "track_unmuted", lambda part, p: p.sid == pub.sid)
        assert not (await admin.get_participant(room_name, "alice")).tracks[0].muted


async def _publish_refused(peer: SdkPeer, name: str) -> bool:
    try:
        async with asyncio.timeout(PUBLISH_REFUSED_S):
            await peer.publish_tone(330, name=name)
    except (TimeoutError, PublishTrackError):  # refused, or never acknowledged
        return True
    return False


async def test_permissions_decide_whether_the_peer_can_publish(
    room_name: str, admin: RoomAdmin, join: Joiner
) -> None:
    async with join("bob") as bob:
        denied = await admin.update_permissions(room_name, "bob", can_publish=False)
        assert not denied.permission.can_publish and denied.permission.can_subscribe
        await event(bob, "participant_permissions_changed")
        assert not bob.room.local_participant.permissions.can_publish
        assert await _publish_refused(bob, "mic-denied")
        assert (await admin.get_participant(room_name, "bob")).tracks == ()

        allowed = await admin.update_permissions(
            room_name, "bob", can_publish=True, can_publish_sources=["microphone"]
        )
        assert allowed.permission.can_publish_sources == ("microphone",)
        await eventually(
            lambda: asyncio.sleep(0, bob.room.local_participant.permissions),
            lambda perm: perm.can_publish,
        )
        async with asyncio.timeout(15):
            await bob.publish_tone(330, name="mic-allowed")
        bob_now = await eventually(
            lambda: admin.get_participant(room_name, "bob"), lambda p: bool(p.tracks)
        )
        assert [t.name for t in bob_now.tracks] == ["mic-allowed"]


async def test_hidden_permission_reaches_the_peer(
    room_name: str, admin: RoomAdmin, join: Joiner
) -> None:
    async with join("bob") as bob:
        result = await admin.update_permissions(
            room_name, "bob", hidden=True, can_publish_data=False
        )
        assert result.permission.hidden and not result.permission.can_publish_data
        await event(bob, "participant_permissions_changed")
        perm = bob.room.local_participant.permissions
        assert perm.hidden and not perm.can_publish_data and perm.can_subscribe


async def test_name_metadata_and_attributes_reach_peers(
    room_name: str, admin: RoomAdmin, join: Joiner
) -> None:
    async with join("alice") as alice, join("bob") as bob:
        assert "alice" in {p.identity for p in bob.room.remote_participants.values()}
        result = await admin.update_participant(
            room_name, "alice", name="Alice A.", metadata="meta-1", attributes={"role": "host"}
        )
        assert (result.name, result.metadata, dict(result.attributes)) == (
            "Alice A.",
            "meta-1",
            {"role": "host"},
        )
        _, _, new_name = await event(bob, "participant_name_changed", _from("alice"))
        _, _, new_meta = await event(bob, "participant_metadata_changed", _from("alice"))
        changed, _ = await event(bob, "participant_attributes_changed", _from("alice"))
        assert (new_name, new_meta, dict(changed)) == ("Alice A.", "meta-1", {"role": "host"})
        changed, me = await event(alice, "participant_attributes_changed")
        assert (dict(changed), me.identity) == ({"role": "host"}, "alice")
        assert alice.room.local_participant.name == "Alice A."


async def test_update_subscriptions_changes_what_the_peer_receives(
    room_name: str, admin: RoomAdmin, join: Joiner
) -> None:
    async with join("alice") as alice, join("bob", auto_subscribe=False) as bob:
        pub = await alice.publish_tone(440)
        await event(bob, "track_published", lambda p, part: p.sid == pub.sid)
        assert not bob.events["track_subscribed"]

        await admin.update_subscriptions(room_name, "bob", [pub.sid], subscribe=True)
        track, _, _ = await event(bob, "track_subscribed", lambda t, p, part: p.sid == pub.sid)
        assert await audio_frames(track, seconds=1.0) > 50  # 10 ms frames: media flows

        await admin.update_subscriptions(room_name, "bob", [pub.sid], subscribe=False)
        # livekit-server stops forwarding; the SDK (1.2.1) raises no track_unsubscribed for a
        # server-side unsubscribe, so the observable effect is that no audio arrives any more.
        assert await eventually(lambda: audio_frames(track, seconds=1.0), lambda n: n == 0) == 0


async def test_send_data_reaches_the_destination_on_its_topic(
    room_name: str, admin: RoomAdmin, join: Joiner
) -> None:
    async with join("alice") as alice, join("bob") as bob:
        await admin.send_data(
            room_name, b"only for alice", topic="chat", destination_identities=["alice"]
        )
        (packet,) = await event(alice, "data_received", lambda p: p.topic == "chat")
        assert (packet.data, packet.participant) == (b"only for alice", None)

        await admin.send_data(room_name, b"for everyone", topic="news")
        (packet,) = await event(bob, "data_received", lambda p: p.topic == "news")
        assert packet.data == b"for everyone"
        assert [p.topic for (p,) in bob.events["data_received"]] == ["news"]


@pytest.mark.parametrize("method", ["forward_participant", "move_participant"])
async def test_forward_and_move_work_or_say_unsupported(
    method: str, room_name: str, admin: RoomAdmin, join: Joiner
) -> None:
    destination = f"{room_name}-dest"
    async with join("alice"), join("keeper", room=destination):
        try:
            await getattr(admin, method)(room_name, "alice", destination)
        except UnsupportedByServerError as exc:
            assert exc.operation in ("ForwardParticipant", "MoveParticipant")
            assert "LiveKit Cloud" in str(exc)
            return
        there = await eventually(
            lambda: admin.list_participants(destination),
            lambda ps: "alice" in {p.identity for p in ps},
        )
        assert "alice" in {p.identity for p in there}

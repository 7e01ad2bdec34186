"""Protocol-16 and permission messages applied to a Room, scripted and fuzzed (no network).

A Room is joined from a scripted JoinResponse, then server messages go through the real
decoder and the engine's message table (``MessageRouter.route``) into the room's models.
These are the messages the pinned server never sends (RoomMoved) or sends only after a
minute (a subscription error), plus fuzzed variants: each must be applied or logged and
dropped, and the table's last-resort guard must never be needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk import rtc
from lkdesk.core.errors import SignalProtocolError
from lkdesk.rtc.engine import events as ev
from lkdesk.rtc.engine import signal_protocol as sp

VP8 = proto_models.SimulcastCodecInfo(mime_type="video/VP8")


def person(
    identity: str, sid: str, *, tracks: int = 1, **fields: Any
) -> proto_models.ParticipantInfo:
    return proto_models.ParticipantInfo(
        identity=identity,
        sid=sid,
        state=proto_models.ParticipantInfo.ACTIVE,
        tracks=[
            proto_models.TrackInfo(
                sid=f"TR_{sid}_{n}", type=proto_models.VIDEO, name="camera", codecs=[VP8]
            )
            for n in range(tracks)
        ],
        client_protocol=2,
        **fields,
    )


class Recorder:
    def __init__(self, room: rtc.Room) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        for name in (
            "participant_connected",
            "participant_disconnected",
            "moved",
            "track_published",
            "track_unpublished",
            "token_refreshed",
            "track_subscription_failed",
            "track_subscription_permission_changed",
        ):
            room.on(name, lambda *args, name=name: self.events.append((name, args)))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


def joined_room() -> rtc.Room:
    room = rtc.Room()
    join = proto_rtc.JoinResponse(
        room=proto_models.Room(sid="RM_a", name="a"),
        participant=person("me", "PA_me", tracks=0),
        other_participants=[person("alice", "PA_alice"), person("bob", "PA_bob")],
    )
    room._engine.join = join
    room._on_engine_event(ev.Joined(join, rejoin=False))
    return room


async def route(room: rtc.Room, message: proto_rtc.SignalResponse) -> None:
    await room._engine._router.route(sp.decode_response(message.SerializeToString()))


async def test_a_scripted_move_replaces_room_people_token_and_our_sid() -> None:
    room = joined_room()
    seen = Recorder(room)
    moved = proto_rtc.RoomMovedResponse(
        room=proto_models.Room(sid="RM_b", name="b"),
        token="new-token",
        participant=person("me", "PA_me2", tracks=0),
        other_participants=[person("carol", "PA_carol", tracks=2)],
    )
    await route(room, proto_rtc.SignalResponse(room_moved=moved))
    assert (room.name, room.sid, room.token) == ("b", "RM_b", "new-token")
    assert room.local_participant is not None and room.local_participant.sid == "PA_me2"
    assert room._engine.join is not None and room._engine.join.participant.sid == "PA_me2"
    assert list(room.remote_participants) == ["carol"]
    names = seen.names()
    assert names.index("moved") > max(
        i for i, n in enumerate(names) if n == "participant_disconnected"
    )
    assert names[names.index("moved") + 1 :] == [
        "participant_connected",
        "track_published",
        "track_published",
    ]
    assert names.count("participant_disconnected") == 2 and names.count("track_unpublished") == 2
    assert "token_refreshed" in names
    await room._end_models()


async def test_a_scripted_move_without_a_room_is_dropped() -> None:
    room = joined_room()
    seen = Recorder(room)
    moved = proto_rtc.RoomMovedResponse(token="x", other_participants=[person("eve", "PA_eve")])
    await route(room, proto_rtc.SignalResponse(room_moved=moved))
    assert (room.name, room.token) == ("a", "") and seen.names() == []
    assert set(room.remote_participants) == {"alice", "bob"}
    await room._end_models()


async def test_scripted_permission_and_subscription_errors_reach_the_publication() -> None:
    room = joined_room()
    seen = Recorder(room)
    refuse = proto_rtc.SubscriptionPermissionUpdate(
        participant_sid="PA_alice", track_sid="TR_PA_alice_0", allowed=False
    )
    await route(room, proto_rtc.SignalResponse(subscription_permission_update=refuse))
    await route(room, proto_rtc.SignalResponse(subscription_permission_update=refuse))  # no change
    publication = room.remote_participants["alice"].track_publications["TR_PA_alice_0"]
    assert publication.subscription_allowed is False
    failed = proto_rtc.SubscriptionResponse(
        track_sid="TR_PA_bob_0", err=proto_models.SubscriptionError.SE_TRACK_NOTFOUND
    )
    await route(room, proto_rtc.SignalResponse(subscription_response=failed))
    unknown = proto_rtc.SubscriptionPermissionUpdate(participant_sid="PA_x", track_sid="TR_x")
    await route(room, proto_rtc.SignalResponse(subscription_permission_update=unknown))
    assert [(n, a[1:] if n == "track_subscription_failed" else a[2]) for n, a in seen.events] == [
        ("track_subscription_permission_changed", "not_allowed"),
        ("track_subscription_failed", ("TR_PA_bob_0", "SE_TRACK_NOTFOUND")),
    ]
    await room._end_models()


# ----- fuzzing -----------------------------------------------------------------------------

MODEL_MESSAGES = {
    "room_moved",
    "subscription_permission_update",
    "subscription_response",
    "update",
    "room_update",
    "speakers_changed",
    "connection_quality",
    "refresh_token",
}


def _samples() -> list[bytes]:
    messages = [
        proto_rtc.SignalResponse(
            room_moved=proto_rtc.RoomMovedResponse(
                room=proto_models.Room(sid="RM_b", name="b"),
                token="t",
                participant=person("me", "PA_me", tracks=0),
                other_participants=[person("alice", "PA_alice", tracks=2), person("z", "PA_z")],
            )
        ),
        proto_rtc.SignalResponse(
            subscription_permission_update=proto_rtc.SubscriptionPermissionUpdate(
                participant_sid="PA_alice", track_sid="TR_PA_alice_0", allowed=True
            )
        ),
        proto_rtc.SignalResponse(
            subscription_response=proto_rtc.SubscriptionResponse(track_sid="TR_PA_bob_0", err=2)
        ),
        proto_rtc.SignalResponse(
            update=proto_rtc.ParticipantUpdate(participants=[person("bob", "PA_bob", tracks=3)])
        ),
    ]
    return [m.SerializeToString() for m in messages]


SAMPLES = _samples()


class GuardHits(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


async def _apply(frames: list[bytes]) -> list[str]:
    guard = GuardHits()
    logging.getLogger("lkdesk").addHandler(guard)
    room = joined_room()
    try:
        for frame in frames:
            try:
                message = sp.decode_response(frame)
            except SignalProtocolError:
                continue
            if message.WhichOneof("message") in MODEL_MESSAGES:
                await room._engine._router.route(message)
        await room._end_models()
    finally:
        logging.getLogger("lkdesk").removeHandler(guard)
    return guard.messages


def test_valid_samples_apply_cleanly(loop: asyncio.AbstractEventLoop) -> None:
    assert loop.run_until_complete(_apply(SAMPLES)) == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(SAMPLES),
            st.lists(st.tuples(st.integers(0, 600), st.integers(0, 255)), max_size=6),
            st.integers(1, 600),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_move_permission_and_update_messages_apply_or_drop(
    loop: asyncio.AbstractEventLoop, mutations: list[tuple[bytes, list[tuple[int, int]], int]]
) -> None:
    frames = []
    for base, flips, cut in mutations:
        data = bytearray(base)
        for position, value in flips:
            data[position % len(data)] = value
        frames.append(bytes(data[:cut]))
    assert loop.run_until_complete(_apply(frames)) == []


@pytest.mark.parametrize(
    ("wire", "kind"),
    [
        (proto_models.ParticipantInfo.STANDARD, rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD),
        (proto_models.ParticipantInfo.AGENT, rtc.ParticipantKind.PARTICIPANT_KIND_AGENT),
        (proto_models.ParticipantInfo.SIP, rtc.ParticipantKind.PARTICIPANT_KIND_SIP),
        (proto_models.ParticipantInfo.CONNECTOR, rtc.ParticipantKind.PARTICIPANT_KIND_CONNECTOR),
        (proto_models.ParticipantInfo.BRIDGE, rtc.ParticipantKind.PARTICIPANT_KIND_BRIDGE),
        (42, rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD),  # newer than our protobufs
    ],
)
async def test_participant_kind_uses_the_official_sdks_values(wire: int, kind: int) -> None:
    room = joined_room()
    update = proto_rtc.ParticipantUpdate(participants=[person("k", "PA_k", kind=wire)])
    await route(room, proto_rtc.SignalResponse(update=update))
    assert room.remote_participants["k"].kind == kind
    await room._end_models()

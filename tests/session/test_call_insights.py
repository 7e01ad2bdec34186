"""Captions and connection details of ``CallSession`` on the real server (no Qt).

An official-SDK agent transcribes Ana and itself (legacy packets and ``lk.transcription``
streams, interim then final) while Ana publishes a camera and a microphone: the session's
caption lines appear in order and replace correctly, its transcript finds them next to the
chat, and its connection details name Ana's video with the codec and size she sends.

Only Ana publishes audio: on main, a CallSession playing two remote voices crashes the
interpreter at exit (a PortAudio callback thread during garbage collection); reported.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from livekit import rtc as sdk

from lkdesk.session import JoinOptions, TileKey
from lkdesk.session.call import CallSession
from lkdesk.session.call_stats import CallDetails
from lkdesk.session.targets import Credentials
from lkdesk.session.transcript import EntryKind
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import eventually
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration

TOPIC = "lk.transcription"


@pytest.fixture
async def call(
    livekit_server: LiveKitServer, room_name: str
) -> AsyncIterator[tuple[CallSession, SdkPeer, SdkPeer, list[tuple[str, Any]]]]:
    server = livekit_server
    agent = SdkPeer(server.ws_url, server.token("agent", room_name, name="Agent", kind="agent"))
    ana = SdkPeer(server.ws_url, server.token("ana", room_name, name="Ana"))
    credentials = Credentials(
        url=server.ws_url,
        token=server.token("me", room_name, name="Me"),
        room=room_name,
        identity="me",
        name="Me",
        name_editable=False,
        admin=None,
    )
    session = CallSession(credentials)
    seen: list[tuple[str, Any]] = []
    for event in ("caption", "connection_details"):
        session.events.on(event, lambda *args, e=event: seen.append((e, args)))
    try:
        await agent.connect()
        await ana.connect()
        await ana.publish_video(width=640, height=360, scalability_mode="L1T1")
        await ana.publish_tone(440.0)  # one remote voice: see the note in the module doc
        await session.refresh_devices()
        await session.join(JoinOptions("Me", mic_on=False, camera_on=False))
        yield session, agent, ana, seen
    finally:
        await session.aclose()
        await ana.aclose()
        await agent.aclose()


def _mic(peer: SdkPeer) -> str:
    return next(
        pub.sid
        for pub in peer.room.local_participant.track_publications.values()
        if pub.source == sdk.TrackSource.SOURCE_MICROPHONE
    )


async def test_captions_for_two_speakers_arrive_in_order_and_replace_correctly(
    call: tuple[CallSession, SdkPeer, SdkPeer, list[tuple[str, Any]]],
) -> None:
    session, agent, ana, seen = call
    await eventually(lambda: session.participant("ana") is not None)
    local = agent.room.local_participant

    async def legacy(text: str, final: bool) -> None:
        segment = sdk.TranscriptionSegment(
            id="SG_ana", text=text, start_time=0, end_time=0, language="en", final=final
        )
        await local.publish_transcription(
            sdk.Transcription(participant_identity="ana", track_sid=_mic(ana), segments=[segment])
        )

    await legacy("could you", False)
    await legacy("could you share the", False)
    await legacy("Could you share the agenda?", True)
    writer = await local.stream_text(  # a text-only agent: no transcribed track
        topic=TOPIC, attributes={"lk.segment_id": "SG_me"}
    )
    for word in ("Sure, ", "sharing ", "it now."):
        await writer.write(word)
    await writer.aclose(attributes={"lk.transcription_final": "true"})
    await eventually(lambda: bool(session.captions))  # Ana spoke before we write
    await session.send_chat("agenda.txt is in the drive")

    await eventually(lambda: len(session.captions) == 2 and session.captions[1].final)
    assert [(c.speaker_name, c.text, c.final) for c in session.captions] == [
        ("Ana", "Could you share the agenda?", True),
        ("Agent", "Sure, sharing it now.", True),
    ]
    ana_updates = [a[0].text for e, a in seen if e == "caption" and a[0].speaker_identity == "ana"]
    assert ana_updates == ["could you", "could you share the", "Could you share the agenda?"]
    new_lines = [a[0].speaker_identity for e, a in seen if e == "caption" and a[1]]
    assert new_lines == ["ana", "agent"]  # later updates replaced, never added

    found = session.transcript("agenda")
    assert [(e.kind, e.speaker_name) for e in found] == [
        (EntryKind.CAPTION, "Ana"),
        (EntryKind.MESSAGE, "You"),
    ]


async def test_connection_details_name_the_peer_video_with_its_codec_and_size(
    call: tuple[CallSession, SdkPeer, SdkPeer, list[tuple[str, Any]]],
) -> None:
    session, _agent, _ana, seen = call
    session.watch_connection_details(True)

    def latest() -> CallDetails | None:
        found = [a[0] for e, a in seen if e == "connection_details"]
        return found[-1] if found else None

    def ana_video_measured() -> bool:
        details = latest()
        return details is not None and any(
            t.kind == "video" and t.bitrate_bps > 0 and t.fps > 0
            for t in details.for_tile(TileKey("ana"))
        )

    await eventually(ana_video_measured, deadline_s=15)
    session.watch_connection_details(False)
    details = latest()
    assert details is not None
    video = next(t for t in details.for_tile(TileKey("ana")) if t.kind == "video")
    assert (video.name, video.codec, video.width, video.height) == ("Ana", "VP8", 640, 360)
    assert not video.outgoing and video.packet_loss == 0.0
    audio = next(t for t in details.for_tile(TileKey("ana")) if t.kind == "audio")
    assert audio.codec == "opus"
    assert details.download_bps >= video.bitrate_bps > 0
    assert not [w for w in details.warnings if "dropping packets" in w]  # nothing is lost here

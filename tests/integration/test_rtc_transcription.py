"""Transcriptions reach lkdesk's Room as ``transcription_received`` (real server, SDK peers).

An official-SDK participant with the agent kind transcribes a second participant (Ana, who
publishes a microphone) and itself, in both wire forms: legacy Transcription packets
(``publish_transcription``) and ``lk.transcription`` text streams the way LiveKit agents
write them (one stream per interim update for STT; one delta stream whose trailer says
"final" for the agent's own speech). A non-agent's legacy packets are dropped by the
server, which the last test records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from livekit import rtc as sdk

from lkdesk import rtc
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, eventually
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration

TOPIC = "lk.transcription"


@dataclass
class Room3:
    agent: SdkPeer
    ana: SdkPeer
    lk: LkdeskPeer
    ana_mic: str  # Ana's microphone track sid
    agent_mic: str

    def received(self) -> list[tuple[str, str, str, bool, str | None]]:
        """(participant, segment id, text, final, publication sid) per segment, in order."""
        out = []
        for _when, (segments, participant, publication) in self.lk.events["transcription_received"]:
            for segment in segments:
                out.append(
                    (
                        participant.identity if participant is not None else "?",
                        segment.id,
                        segment.text,
                        segment.final,
                        publication.sid if publication is not None else None,
                    )
                )
        return out


@pytest.fixture
async def room3(livekit_server: LiveKitServer, room_name: str) -> AsyncIterator[Room3]:
    server = livekit_server
    agent = SdkPeer(server.ws_url, server.token("agent", room_name, name="Agent", kind="agent"))
    ana = SdkPeer(server.ws_url, server.token("ana", room_name, name="Ana"))
    lk = LkdeskPeer()
    try:
        await agent.connect()
        await ana.connect()
        ana_mic = await ana.publish_tone(440.0)
        agent_mic = await agent.publish_tone(660.0)
        await lk.connect(server.ws_url, server.token("lkdesk", room_name), auto_subscribe=False)
        await lk.wait_until(
            lambda: all(
                p in lk.room.remote_participants
                and lk.room.remote_participants[p].track_publications
                for p in ("ana", "agent")
            )
        )
        yield Room3(agent, ana, lk, ana_mic.sid, agent_mic.sid)
    finally:
        await lk.aclose()
        await ana.aclose()
        await agent.aclose()


def _legacy(identity: str, track: str, seg_id: str, text: str, final: bool) -> sdk.Transcription:
    segment = sdk.TranscriptionSegment(
        id=seg_id, text=text, start_time=0, end_time=0, language="en", final=final
    )
    return sdk.Transcription(participant_identity=identity, track_sid=track, segments=[segment])


async def test_legacy_transcription_packets_from_an_agent_arrive_for_two_participants(
    room3: Room3,
) -> None:
    r = room3
    local = r.agent.room.local_participant
    steps: list[tuple[str, str, str, str, bool]] = [
        ("ana", r.ana_mic, "SG_a1", "good", False),
        ("ana", r.ana_mic, "SG_a1", "good morning", False),
        ("agent", r.agent_mic, "SG_b1", "hello", False),
        ("ana", r.ana_mic, "SG_a1", "good morning everyone", True),
        ("agent", r.agent_mic, "SG_b1", "hello Ana", True),
    ]
    for identity, track, seg_id, text, final in steps:
        await local.publish_transcription(_legacy(identity, track, seg_id, text, final))
    await eventually(lambda: len(r.received()) >= len(steps))
    assert r.received() == [
        (identity, seg_id, text, final, track) for identity, track, seg_id, text, final in steps
    ]
    _when, (segments, participant, publication) = r.lk.events["transcription_received"][0]
    assert isinstance(segments[0], rtc.TranscriptionSegment) and segments[0].language == "en"
    assert isinstance(participant, rtc.RemoteParticipant)
    assert isinstance(publication, rtc.RemoteTrackPublication) and publication.name == "mic"


async def test_transcription_text_streams_as_agents_send_them_arrive(room3: Room3) -> None:
    r = room3
    local = r.agent.room.local_participant
    # Ana's STT: a new stream for each update, same segment id, the last one final.
    # (The agent publishes Ana's words under Ana's identity; the server keeps it for agents.)
    updates = (("is the", False), ("is the build green", False), ("is the build green?", True))
    for text, final in updates:
        await _send_as(local, "ana", text, r.ana_mic, "SG_stt1", final)
    # The agent's own speech: one stream written word by word, final only in the trailer.
    writer = await local.stream_text(
        topic=TOPIC,
        attributes={
            "lk.segment_id": "SG_tts1",
            "lk.transcribed_track_id": r.agent_mic,
            "lk.transcription_final": "false",
        },
    )
    for word in ("Yes, ", "all ", "green."):
        await writer.write(word)
    await writer.aclose(attributes={"lk.transcription_final": "true"})

    def finals() -> list[tuple[str, str, str, bool, str | None]]:
        return [entry for entry in r.received() if entry[3]]

    await eventually(lambda: len(finals()) >= 2)
    assert finals() == [
        ("ana", "SG_stt1", "is the build green?", True, r.ana_mic),
        ("agent", "SG_tts1", "Yes, all green.", True, r.agent_mic),
    ]
    ana_updates = [e[2] for e in r.received() if e[1] == "SG_stt1"]
    assert ana_updates[0] == "is the" and ana_updates[-1] == "is the build green?"
    assert "is the build green" in ana_updates  # the interim update arrived in between
    agent_updates = [e[2] for e in r.received() if e[1] == "SG_tts1"]
    assert all(not e[3] for e in r.received()[:-1] if e[1] == "SG_tts1")
    assert agent_updates[-1] == "Yes, all green." and len(agent_updates) >= 2


async def _send_as(
    local: Any, identity: str, text: str, track: str, seg_id: str, final: bool
) -> None:
    writer = await local.stream_text(
        topic=TOPIC,
        sender_identity=identity,
        attributes={
            "lk.segment_id": seg_id,
            "lk.transcribed_track_id": track,
            "lk.transcription_final": "true" if final else "false",
        },
    )
    await writer.write(text)
    await writer.aclose()


async def test_server_drops_legacy_transcriptions_from_a_non_agent(room3: Room3) -> None:
    """livekit-server v1.13.5 forwards Transcription packets only from agents."""
    r = room3
    ana = r.ana.room.local_participant
    await ana.publish_transcription(_legacy("ana", r.ana_mic, "SG_x", "not forwarded", True))
    await ana.publish_data(b"after the transcription", topic="probe")
    await r.lk.wait_for("data_received", lambda packet: packet.topic == "probe")
    assert r.received() == []

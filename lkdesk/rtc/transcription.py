"""Transcriptions (speech to text) from agents and transcription services.

Two wire forms arrive, and both become the official SDK's ``transcription_received``
event with ``(segments, participant, publication)``:

* text streams on ``lk.transcription`` (LiveKit agents, components-js): one stream per
  update of a segment, attributes ``lk.segment_id``, ``lk.transcribed_track_id`` and
  ``lk.transcription_final``; the sender is the transcribed participant (the server keeps
  that identity for agents). An agent's own speech streams word by word in one stream and
  says "final" in the stream's trailer, so every chunk is reported as the segment so far;
* legacy ``DataPacket.transcription`` packets, which the server forwards only from
  participants whose token has the agent kind or grant (livekit-server
  ``pkg/rtc/participant.go`` ``handleReceivedDataMessage``).

The receiver reports what arrives; keeping interim segments replaced and final ones kept
is the consumer's choice (``lkdesk.session.captions`` does it as components-js does).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from livekit.protocol import models as proto_models

from lkdesk.rtc.stream_receive import IncomingStreams, TextStreamReader

logger = logging.getLogger(__name__)

TRANSCRIPTION_TOPIC = "lk.transcription"
ATTRIBUTE_SEGMENT_ID = "lk.segment_id"
ATTRIBUTE_TRACK_ID = "lk.transcribed_track_id"
ATTRIBUTE_FINAL = "lk.transcription_final"


@dataclass(frozen=True, slots=True)
class TranscriptionSegment:
    """One piece of transcribed speech; a later segment with the same ``id`` replaces it.

    ``start_time``/``end_time`` are what the sender put there (milliseconds of the track's
    media time for legacy packets, 0 for text streams, which carry no timing).
    """

    id: str
    text: str
    start_time: int
    end_time: int
    language: str
    final: bool


@dataclass(frozen=True, slots=True)
class Transcription:
    """Segments for one participant's track (``track_sid`` may be empty)."""

    participant_identity: str
    track_sid: str
    segments: list[TranscriptionSegment] = field(default_factory=list)


def segments_from_packet(packet: proto_models.Transcription) -> list[TranscriptionSegment]:
    return [
        TranscriptionSegment(
            id=s.id,
            text=s.text,
            start_time=int(s.start_time),
            end_time=int(s.end_time),
            language=s.language,
            final=s.final,
        )
        for s in packet.segments
    ]


def _is_final(attributes: dict[str, str]) -> bool:
    return attributes.get(ATTRIBUTE_FINAL, "").strip().lower() == "true"


class TranscriptionReceiver:
    """Turns both wire forms into ``transcription_received(segments, participant, pub)``.

    ``participant_for(identity)`` finds the local or a remote participant (None when the
    transcribed participant is unknown, e.g. already gone: the event still fires).
    """

    def __init__(
        self,
        streams: IncomingStreams,
        *,
        emit: Callable[..., None],
        participant_for: Callable[[str], Any],
    ) -> None:
        self._emit = emit
        self._participant_for = participant_for
        streams.register_text(TRANSCRIPTION_TOPIC, self._on_stream)

    def _report(self, identity: str, track_sid: str, segments: list[TranscriptionSegment]) -> None:
        participant = self._participant_for(identity)
        publication = None
        if participant is not None and track_sid:
            publication = participant.track_publications.get(track_sid)
        self._emit("transcription_received", segments, participant, publication)

    def on_packet(self, packet: proto_models.Transcription) -> None:
        """A legacy Transcription data packet (only agents' reach us)."""
        segments = segments_from_packet(packet)
        if segments:
            self._report(packet.transcribed_participant_identity, packet.track_id, segments)

    async def _on_stream(self, reader: TextStreamReader, sender: str) -> None:
        info = reader.info
        attributes = info.attributes
        segment_id = attributes.get(ATTRIBUTE_SEGMENT_ID) or info.stream_id
        track_sid = attributes.get(ATTRIBUTE_TRACK_ID, "")

        def segment(text: str, final: bool) -> list[TranscriptionSegment]:
            return [TranscriptionSegment(segment_id, text, 0, 0, "", final)]

        text = ""
        try:
            async for piece in reader:
                text += piece
                self._report(sender, track_sid, segment(text, False))
        except ConnectionError as exc:
            logger.info("transcription stream from %s ended early: %s", sender, exc)
            return
        final = _is_final(attributes) or _is_final(reader.trailer_attributes)
        self._report(sender, track_sid, segment(text, final))


__all__ = [
    "TRANSCRIPTION_TOPIC",
    "Transcription",
    "TranscriptionReceiver",
    "TranscriptionSegment",
]

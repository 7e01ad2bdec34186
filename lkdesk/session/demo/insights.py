"""The demo room's captions and connection details, simulated so both can be tried offline.

Captions follow the simulated conversation: whoever has the floor "says" a sentence that
appears word by word as interim text and becomes final when their turn ends. Connection
details are plausible figures for every camera and microphone in the room, with the poor
link of a participant whose quality is poor named in the warnings.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

from lkdesk.session.call_stats import CallDetails, TrackDetails, TrackOwner, warnings_for
from lkdesk.session.captions import CaptionBook
from lkdesk.session.model import ParticipantState, Quality, TileKey

SENTENCES = (
    "Morning everyone, shall we start with the release?",
    "The build went green last night after the cache fix.",
    "I still see a few flaky tests on the audio side.",
    "Let's ship the beta on Thursday and collect feedback.",
    "Can someone take the notes for this call?",
    "I'll write up the migration plan by Friday.",
    "The new onboarding flow tested well with users.",
    "We should check the numbers with the support team first.",
)
WORD_PERIOD_S = 0.35


class DemoCaptions:
    """Turns the demo's speaker turns into caption segments."""

    def __init__(self, book: CaptionBook, rng: random.Random) -> None:
        self._book = book
        self._rng = rng
        self._turn = 0
        self._speaker: ParticipantState | None = None
        self._words: list[str] = []
        self._started = 0.0

    def tick(self, t: float, speaker: ParticipantState | None) -> None:
        """Called by the demo clock with whoever speaks now (None in a pause)."""
        current = self._speaker
        if current is not None and (speaker is None or speaker.identity != current.identity):
            self._say(current, len(self._words), final=True)
            self._speaker = None
        if speaker is not None and self._speaker is None:
            self._turn += 1
            self._speaker, self._started = speaker, t
            self._words = self._rng.choice(SENTENCES).split()
        if self._speaker is not None:
            shown = min(int((t - self._started) / WORD_PERIOD_S) + 1, len(self._words))
            self._say(self._speaker, shown, final=False)

    def _say(self, speaker: ParticipantState, words: int, *, final: bool) -> None:
        self._book.update(
            speaker_identity=speaker.identity,
            speaker_name=speaker.display_name,
            segment_id=f"demo-{self._turn}",
            text=" ".join(self._words[:words]),
            final=final,
        )


def demo_details(people: tuple[ParticipantState, ...], rng: random.Random, you: str) -> CallDetails:
    """One second of made-up but self-consistent connection figures."""
    tracks: list[TrackDetails] = []
    owners: dict[str, TrackOwner] = {}
    for person in people:
        outgoing = person.is_local
        name = "You" if outgoing else person.display_name
        key = TileKey(person.identity)
        owners[person.identity] = TrackOwner(key, name, person.quality)
        poor = person.quality <= Quality.POOR
        loss = 0.0 if outgoing else rng.uniform(0.0, 0.004)
        if person.camera_on:
            tracks.append(
                TrackDetails(
                    key, "video", outgoing, name, "VP8",
                    bitrate_bps=rng.uniform(180e3, 240e3) if poor else rng.uniform(550e3, 700e3),
                    packet_loss=loss, jitter_ms=rng.uniform(2, 6),
                    rtt_ms=rng.uniform(38, 46) if outgoing else None,
                    width=320 if poor else 640, height=180 if poor else 360,
                    fps=rng.uniform(8, 11) if poor else rng.uniform(14.6, 15.0),
                    codec_ms=rng.uniform(3.5, 4.5) if outgoing else rng.uniform(0.8, 1.4),
                    convert_ms=rng.uniform(0.6, 0.9),
                )
            )  # fmt: skip
        if person.mic_on:
            tracks.append(
                TrackDetails(
                    key, "audio", outgoing, name, "opus",
                    bitrate_bps=rng.uniform(28e3, 34e3), packet_loss=loss,
                    jitter_ms=rng.uniform(3, 9), rtt_ms=rng.uniform(38, 46) if outgoing else None,
                )
            )  # fmt: skip
    sent = [t for t in tracks if t.outgoing]
    got = [t for t in tracks if not t.outgoing]
    details = CallDetails(
        upload_bps=sum(t.bitrate_bps for t in sent),
        download_bps=sum(t.bitrate_bps for t in got),
        download_loss=max((t.packet_loss for t in got), default=0.0),
        rtt_ms=rng.uniform(38, 46),
        jitter_ms=max((t.jitter_ms for t in got if t.kind == "audio"), default=0.0),
        tracks=tuple(tracks),
        measured_at=datetime.now(UTC),
    )
    others = {k: v for k, v in owners.items() if k != you}
    return replace(details, warnings=warnings_for(details, others))

"""Who is talking in the demo room: turns, syllable-like levels, quiet gaps."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


class Conversation:
    """Picks a speaker for a few seconds at a time and gives everyone an audio level."""

    SPEAKING_THRESHOLD = 0.12

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._speaker: str | None = None
        self._turn_ends = 0.0

    @property
    def speaker(self) -> str | None:
        return self._speaker

    def levels(self, t: float, candidates: Sequence[str]) -> dict[str, float]:
        """Audio level 0..1 of each candidate (identities whose mic is on) at time ``t``."""
        if self._speaker not in candidates or t >= self._turn_ends:
            self._next_turn(t, candidates)
        levels = {identity: 0.0 for identity in candidates}
        if self._speaker is not None:
            syllables = abs(math.sin(t * 7.3)) * (0.6 + 0.4 * math.sin(t * 2.1))
            pause = math.sin(t * 0.9) > 0.85  # short breath pauses
            levels[self._speaker] = 0.0 if pause else 0.25 + 0.7 * syllables
        return levels

    def _next_turn(self, t: float, candidates: Sequence[str]) -> None:
        others = [c for c in candidates if c != self._speaker] or list(candidates)
        silence = self._rng.random() < 0.2
        self._speaker = None if silence or not others else self._rng.choice(others)
        self._turn_ends = t + self._rng.uniform(1.5, 2.5 if silence else 6.0)

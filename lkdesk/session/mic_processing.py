"""The microphone's processing for one call, and the "You are muted" warning.

One :class:`media.AudioProcessing` is shared by every microphone capture of the call (it
survives a device switch) and by the speaker's playback, whose mix is the echo reference.
While the published microphone is muted the capture keeps running (unmuting is instant), so
voice on it can be noticed and reported without anything being sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from lkdesk import media
from lkdesk.session.model import AVAILABLE, AudioProcessingSettings, Feature

logger = logging.getLogger(__name__)

QUIET_S = 2.0
"""How long the voice must have stopped before the warning goes away."""


def to_media(settings: AudioProcessingSettings) -> media.ProcessingSettings:
    """The media settings; the high-pass filter runs whenever anything else does."""
    any_on = settings.echo_cancellation or settings.noise_suppression or settings.auto_gain_control
    return media.ProcessingSettings(
        echo_cancellation=settings.echo_cancellation,
        noise_suppression=settings.noise_suppression,
        auto_gain_control=settings.auto_gain_control,
        high_pass_filter=any_on,
    )


class MicProcessing:
    """``on_talking_while_muted(bool)`` and ``on_unavailable(reason)`` report out."""

    def __init__(
        self,
        on_talking_while_muted: Callable[[bool], None],
        on_unavailable: Callable[[str], None],
    ) -> None:
        self.media = media.AudioProcessing(to_media(AudioProcessingSettings()))
        self._on_talking = on_talking_while_muted
        self._on_unavailable = on_unavailable
        self._warning = False
        self._last_voice = 0.0
        self._failure_reported = False

    @property
    def reference(self) -> media.EchoReference:
        """Give this to the playback: what it plays is what the canceller removes."""
        return self.media.reference

    def feature(self) -> Feature:
        """Whether processing can run here; the reason in plain words when not."""
        problem = media.processing_problem() or self.media.failure
        return AVAILABLE if problem is None else Feature(False, problem)

    def apply(self, settings: AudioProcessingSettings) -> None:
        """Use ``settings`` from the next 10 ms frame on."""
        self.media.settings = to_media(settings)
        logger.info("microphone processing: %s", settings)

    def observe(self, capture: Any, muted: bool) -> None:
        """From the microphone pump (20 times a second): warn about talking while muted."""
        now = time.monotonic()
        if muted and getattr(capture, "voice_active", False):
            self._last_voice = now
            if not self._warning:
                self._warning = True
                self._on_talking(True)
        elif self._warning and (not muted or now - self._last_voice >= QUIET_S):
            self._warning = False
            self._on_talking(False)
        failure = self.media.failure
        if failure is not None and not self._failure_reported:
            self._failure_reported = True
            self._on_unavailable(failure)

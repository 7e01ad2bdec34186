"""Microphone processing: echo cancellation, noise suppression, gain control, high-pass filter.

The stage sits between :class:`MicrophoneCapture` and the published source. The far-end
reference is lkdesk's own playback mix (:class:`EchoReference`), so it is exact. Processing
runs in a worker thread (:mod:`lkdesk.media._processing_thread`) on 10 ms, 48 kHz mono frames.

Why pywebrtc-audio: it wraps WebRTC's audio processing module (AEC3 with its delay estimator,
NS, AGC2, high-pass filter: what Chrome and the official SDK run), ships wheels for Linux,
macOS and Windows (Python 3.10-3.14, numpy only) and releases the GIL while it works. Measured
on this 2-core machine (``bench/aec_candidates.py``, 18 s of espeak speech through a simulated
room, 10 dB echo loss, AEC + NS; RESULTS.md has the table):

* pywebrtc-audio 0.2.0: steady ERLE 55.5 dB (80 ms delay) / 57.8 dB (250 ms), >= 25 dB after
  0.5 s, 0.18 ms per 10 ms frame; installs from a 0.4 MB wheel in ~2 s.
* official SDK ``AudioProcessingModule`` (the anchor; lkdesk may not import it): 63.6 / 64.2 dB,
  0.5 s, 0.18 ms per frame. Same algorithm family, same cost.
* aec-audio-processing 1.0.1: an sdist only; builds WebRTC's APM with meson + swig, Linux and
  macOS only (no Windows); see RESULTS.md for its build time and numbers.
* webrtc-noise-gain: NS + AGC only, no echo cancellation. speexdsp: an sdist needing
  libspeexdsp-dev, and Speex's echo canceller is markedly weaker than AEC3.
* PulseAudio/PipeWire ``module-echo-cancel``: Linux only, system-wide, and its reference is the
  whole sink, not lkdesk's mix; kept as the user's own option.

Noise suppression is WebRTC's NS at level 3 as pywebrtc-audio's standalone
``NoiseSuppressor``, after the AudioProcessor (HPF + AEC3, its own NS off). The
AudioProcessor's built-in NS analyses the capture before splitting it into bands, i.e. the
previous frame's already suppressed bands: it took ~6 dB off stationary pink noise at every
level (the "weak WebRTC NS" once measured here). The standalone one splits first and takes 17 dB
(level 2) / 20 dB (level 3) off the same noise, converged after 0.4 s, speech within 1 dB;
on the acoustic loop -45 dBFS pink noise drops to about -66 dBFS. RNNoise (pyrnnoise) is gone
with it: it pulled matplotlib, PyAV, audiolab, click and tqdm into every install, its first
import (0.33 s; audiolab loads PyAV) stalled the processing worker for 0.4 s at the moment
processing was switched on, and its bypass during far-end speech made the near end's level
depend on who was talking. NS runs all the time now.
AGC2 is capped at +6 dB: its adaptive gain starts at +15 dB before it has heard the user,
which raised the residual echo by as much and cost 15 dB of ERLE in the first seconds.

If the library is missing or fails, :func:`processing_problem` says so once and the stage
passes audio through unprocessed (still converted to 48 kHz mono).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from lkdesk.media.echo_reference import FRAME, RATE, EchoReference

logger = logging.getLogger(__name__)

Int16 = npt.NDArray[np.int16]

NS_LEVEL = 3
"""WebRTC NS level 0-3 (6/12/18/21 dB); 3 is "very high"."""
AGC_MAX_GAIN_DB = 6.0
INSTALL_HINT = "Install lkdesk's dependencies again (pip install pywebrtc-audio) and restart."


@dataclass(frozen=True, slots=True)
class ProcessingSettings:
    """Which processing runs on the microphone (all on by default)."""

    echo_cancellation: bool = True
    noise_suppression: bool = True
    auto_gain_control: bool = True
    high_pass_filter: bool = True

    @property
    def any(self) -> bool:
        return (
            self.echo_cancellation
            or self.noise_suppression
            or self.auto_gain_control
            or self.high_pass_filter
        )


@cache
def _load_backend() -> Any:
    import pywebrtc_audio

    return pywebrtc_audio


def processing_problem() -> str | None:
    """None when the processing library loads; else what is wrong, in plain words."""
    try:
        _load_backend()
    except (ImportError, OSError) as exc:
        return (
            "Echo cancellation, noise suppression and gain control are unavailable: the "
            f"audio processing library could not be loaded ({exc}). Your microphone is sent "
            f"unprocessed. {INSTALL_HINT}"
        )
    return None


class AudioProcessing:
    """What the microphone and the playback share: the settings and the echo reference.

    ``settings`` may be replaced at any time; the worker applies it on its next frame.
    """

    def __init__(self, settings: ProcessingSettings | None = None) -> None:
        self.settings = settings or ProcessingSettings()
        self.reference = EchoReference()
        self.failure: str | None = None
        """Set (once) when the library failed while running; audio then passes through."""


class VoiceProcessor:
    """The chain for one settings value; not thread-safe (one worker owns it).

    HPF + AEC3 (pywebrtc-audio's AudioProcessor, its own NS off) -> WebRTC NS -> AGC2, whose
    speech probability comes from that NS (or from WebRTC's voice detector when NS is off).
    """

    def __init__(self, settings: ProcessingSettings) -> None:
        self.settings = settings
        self.speech_probability = 0.0
        self._apm: Any = None
        self._ns: Any = None
        self._vad: Any = None
        self._agc: Any = None
        if not settings.any:
            return
        backend = _load_backend()
        if settings.echo_cancellation or settings.high_pass_filter:
            self._apm = backend.AudioProcessor(
                sample_rate=RATE,
                num_channels=1,
                echo_cancellation=settings.echo_cancellation,
                high_pass_filter=settings.high_pass_filter,
            )
        if settings.noise_suppression:
            self._ns = backend.NoiseSuppressor(sample_rate=RATE, num_channels=1, level=NS_LEVEL)
        else:
            self._vad = backend.VoiceDetector(sample_rate=RATE, num_channels=1)
        if settings.auto_gain_control:
            self._agc = backend.GainController(
                sample_rate=RATE, num_channels=1, max_gain_db=AGC_MAX_GAIN_DB
            )

    def process(self, near: Int16, far: Int16) -> Int16:
        """One 10 ms frame of microphone (``near``) with what was played (``far``)."""
        if not self.settings.any:
            return near
        out = near
        if self._apm is not None:
            out = self._apm.process(out, far if self.settings.echo_cancellation else None)
        if self._ns is not None:
            out = self._ns.process(out)
            self.speech_probability = float(self._ns.speech_probability)
        else:
            self.speech_probability = float(self._vad.process(out))
        if self._agc is not None:
            out = self._agc.process(out, speech_probability=self.speech_probability)
        return out

    def close(self) -> None:
        """Nothing to free (WebRTC's objects free themselves); kept for the worker's sake."""


class VoiceActivity:
    """Is someone talking into the microphone? Over the last ``window`` frames (10 ms each).

    A frame counts as voice when its level is above ``min_dbfs`` and, with processing on,
    WebRTC's speech probability is high; talking needs ``needed`` such frames in the window.
    """

    def __init__(self, window: int = 40, needed: int = 16, min_dbfs: float = -50.0) -> None:
        self._recent: deque[bool] = deque(maxlen=window)
        self._needed = needed
        self._min_dbfs = min_dbfs
        self._count = 0

    def update(self, rms_dbfs: float, speech_probability: float | None) -> bool:
        """Add one frame; returns whether someone is talking."""
        voiced = rms_dbfs >= self._min_dbfs and (
            speech_probability is None or speech_probability >= 0.5
        )
        if len(self._recent) == self._recent.maxlen and self._recent[0]:
            self._count -= 1
        self._recent.append(voiced)
        self._count += voiced
        return self._count >= self._needed

    def reset(self) -> None:
        self._recent.clear()
        self._count = 0


__all__ = [
    "FRAME",
    "RATE",
    "AudioProcessing",
    "EchoReference",
    "ProcessingSettings",
    "VoiceActivity",
    "VoiceProcessor",
    "processing_problem",
]

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

Noise suppression is RNNoise (pyrnnoise: wheels for Linux and Windows) where it installs,
WebRTC's NS elsewhere: on stationary pink noise at -42 dBFS WebRTC's NS in pywebrtc-audio
took off only ~6 dB (the SDK's ~13 dB), RNNoise 35 dB and more with speech within 0.5 dB.
RNNoise is bypassed while the far end talks (and 0.5 s after): in double talk it took 15 dB
off the near-end voice at the peer; AEC3's own suppressor handles that time.
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

NS_LEVEL = 2
"""WebRTC NS level 0-3 (6/12/18/21 dB); 2 is Chrome's "high"."""
AGC_MAX_GAIN_DB = 6.0
FAR_ACTIVE_PEAK = 100  # about -50 dBFS: the far end is talking
FAR_HOLD_FRAMES = 50
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


@cache
def _load_denoiser() -> Any:
    """RNNoise (pyrnnoise), or None where it has no build: WebRTC's NS is used instead."""
    try:
        from pyrnnoise import rnnoise
    except (ImportError, OSError) as exc:
        logger.info("RNNoise unavailable (%s); using WebRTC noise suppression", exc)
        return None
    return rnnoise


class VoiceProcessor:
    """The chain for one settings value; not thread-safe (one worker owns it).

    HPF + AEC3 + WebRTC NS -> RNNoise (if installed) -> AGC2, whose speech
    probability comes from RNNoise's VAD when it runs.
    """

    def __init__(self, settings: ProcessingSettings) -> None:
        self.settings = settings
        self.speech_probability = 0.0
        self._far_hold = 0
        backend = _load_backend() if settings.any else None
        denoiser = _load_denoiser() if settings.noise_suppression else None
        self._denoiser: Any = denoiser
        self._denoise_state: Any = denoiser.create() if denoiser is not None else None
        self._apm: Any = None
        self._agc: Any = None
        if backend is None:
            return
        self._apm = backend.AudioProcessor(
            sample_rate=RATE,
            num_channels=1,
            echo_cancellation=settings.echo_cancellation,
            noise_suppression=settings.noise_suppression,  # also while RNNoise is bypassed
            high_pass_filter=settings.high_pass_filter,
            auto_gain_control=False,
            ns_level=NS_LEVEL,
        )
        if settings.auto_gain_control:
            self._agc = backend.GainController(
                sample_rate=RATE, num_channels=1, max_gain_db=AGC_MAX_GAIN_DB
            )

    def process(self, near: Int16, far: Int16) -> Int16:
        """One 10 ms frame of microphone (``near``) with what was played (``far``)."""
        if self._apm is None:
            return near
        out: Int16 = self._apm.process(near, far if self.settings.echo_cancellation else None)
        probability = float(self._apm.speech_probability)
        if int(np.abs(far).max(initial=0)) > FAR_ACTIVE_PEAK:
            self._far_hold = FAR_HOLD_FRAMES
        elif self._far_hold:
            self._far_hold -= 1
        if self._denoise_state is not None:
            cleaned, probability = self._denoiser.process_mono_frame(self._denoise_state, out)
            probability = float(probability)
            if not self._far_hold:  # RNNoise eats near-end speech during double talk
                out = np.clip(np.asarray(cleaned).reshape(-1), -32768, 32767).astype(np.int16)
        if self._agc is not None:
            out = self._agc.process(out, speech_probability=probability)
        self.speech_probability = probability
        return out

    def close(self) -> None:
        """Free RNNoise's state (WebRTC's objects free themselves)."""
        state, self._denoise_state = self._denoise_state, None
        if state is not None:
            self._denoiser.destroy(state)


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

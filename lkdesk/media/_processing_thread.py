"""The processing worker: captured blocks in, processed 10 ms 48 kHz mono frames out.

PortAudio's thread only numbers the block (which 48 kHz samples it holds, and how much the
playback had written at that moment), appends it to a bounded ``deque`` and sets an event; this
thread converts the format (any rate, any channel count -> 48 kHz mono, never passed through as
is), re-chunks into 10 ms frames, pairs each with the played samples :class:`ReferenceClock`
assigns to it, runs :class:`VoiceProcessor`, measures level and voice activity, and hands each
frame on with ``on_frame`` (a ThreadHandoff's put).

Because the pairing is fixed at capture time, the worker may fall behind (a busy machine: up
to a quarter second was measured on the 2-core CI machine) without the echo's apparent delay
changing. Blocks it is more than ``MAX_PENDING`` behind on are dropped, oldest first: the
stream gets a gap, the pairing of the rest stays exact.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from lkdesk.media.audio_processing import (
    AudioProcessing,
    VoiceActivity,
    VoiceProcessor,
)
from lkdesk.media.echo_reference import (
    FRAME,
    RATE,
    ReferenceClock,
    resample_linear,
    samples_at_48k,
)
from lkdesk.media.levels import SILENCE, AudioLevel, measure

logger = logging.getLogger(__name__)

Int16 = npt.NDArray[np.int16]
MAX_PENDING = 200  # captured blocks waiting for the worker (oldest dropped beyond)
IDLE_WAKE_S = 0.5
STALL_S = 0.3
"""A playback that wrote nothing for this long has stopped: its missing samples are silence."""
POLL_S = 0.002
SILENT = np.zeros(FRAME, dtype=np.int16)


def to_mono_48k(block: Int16, rate: int) -> npt.NDArray[np.float32]:
    """A captured (samples, channels) int16 block as 48 kHz mono float32 (int16 scale)."""
    if block.ndim == 2 and block.shape[1] > 1:
        mono = block.mean(axis=1, dtype=np.float32)
    else:
        mono = block.reshape(-1).astype(np.float32)
    return resample_linear(mono, rate, RATE)


class ProcessingStage:
    """One worker thread per open microphone; ``stop()`` ends and joins it."""

    def __init__(
        self, processing: AudioProcessing, on_frame: Callable[[Int16], object], name: str
    ) -> None:
        self._processing = processing
        self._on_frame = on_frame
        self._pending: deque[tuple[Int16, int, int, int]] = deque(maxlen=MAX_PENDING)
        self._wake = threading.Event()
        self._stopping = False
        self._captured = 0  # 48 kHz samples captured (capture thread only)
        self._partial = np.zeros(0, dtype=np.float32)
        self._partial_start = 0  # sample number of self._partial[0]
        self._clock = ReferenceClock()
        self._stalled_at = -1  # reference.written when the playback was last seen stopped
        self.dropped_samples = 0
        """Captured audio dropped because the worker was more than MAX_PENDING blocks behind."""
        self._voice = VoiceActivity()
        self._processor: VoiceProcessor | None = None
        self.level: AudioLevel = SILENCE
        self.voice_active = False
        self.frames = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def clock(self) -> ReferenceClock:
        return self._clock

    def submit(self, block: Int16, rate: int) -> None:
        """Capture thread: number and queue a copy of a captured block. No locks, no waiting."""
        start = self._captured
        self._captured = start + samples_at_48k(block.shape[0], rate)
        self._pending.append((block, rate, start, self._processing.reference.written))
        self._wake.set()

    def stop(self) -> None:
        """Blocking: end the worker and wait for it (run it off the loop)."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        try:
            while not self._stopping:
                self._wake.wait(IDLE_WAKE_S)
                self._wake.clear()
                while self._pending and not self._stopping:
                    try:
                        block, rate, start, written = self._pending.popleft()
                    except IndexError:
                        break
                    self._consume(block, rate, start, written)
        finally:
            if self._processor is not None:
                self._processor.close()

    def _consume(self, block: Int16, rate: int, start: int, written: int) -> None:
        mono = to_mono_48k(block, rate)
        expected = self._partial_start + self._partial.size
        if start != expected:  # the blocks in between were dropped: a gap, same pairing
            self.dropped_samples += start - expected
            self._partial, self._partial_start = self._partial[:0], start
        self._clock.observe(start + mono.size, written)
        data = np.concatenate([self._partial, mono]) if self._partial.size else mono
        whole = data.size - data.size % FRAME
        for offset in range(0, whole, FRAME):
            frame = np.clip(data[offset : offset + FRAME], -32768, 32767).astype(np.int16)
            self._emit(self._process(frame, self._partial_start + offset))
        self._partial = data[whole:].copy()
        self._partial_start += whole

    def _process(self, near: Int16, sample: int) -> Int16:
        processing = self._processing
        if processing.failure is not None:
            return near
        settings = processing.settings
        offset = self._clock.offset
        far = SILENT
        if offset is not None and settings.echo_cancellation:
            self._await_reference(sample + offset + FRAME)
            far = processing.reference.read(sample + offset)
        try:
            if self._processor is None or self._processor.settings != settings:
                if self._processor is not None:
                    self._processor.close()
                self._processor = VoiceProcessor(settings)
                self._voice.reset()
            return self._processor.process(near, far)
        except Exception as exc:
            processing.failure = (
                f"Audio processing stopped working ({exc}); your microphone is sent unprocessed."
            )
            logger.exception("audio processing failed; passing the microphone through")
            return near

    def _await_reference(self, end: int) -> None:
        """Let the playback write up to sample ``end``, unless it has stopped writing.

        The paired samples are usually written already; when the speaker's callback runs late
        they are still to come, and silence in their place would tell AEC3 that nothing was
        played while the device was still playing its buffer: the echo of those samples would
        go through and mislead the adaptive filter. So the worker waits (its backlog grows,
        the pairing does not change) until the playback has written nothing for
        ``STALL_S``: then it has stopped or underrun, and silence is what the speaker played.
        """
        reference = self._processing.reference
        written = reference.written
        if written >= end or written == self._stalled_at:
            return
        progress = time.monotonic()
        while not self._stopping:
            time.sleep(POLL_S)
            now, latest = time.monotonic(), reference.written
            if latest >= end:
                return
            if latest != written:
                written, progress = latest, now
            elif now - progress >= STALL_S:
                self._stalled_at = written
                return

    def _emit(self, frame: Int16) -> None:
        self.level = measure(frame)
        processor = self._processor
        probability = (
            processor.speech_probability
            if processor is not None and processor.settings.any and self._processing.failure is None
            else None
        )
        self.voice_active = self._voice.update(self.level.rms_dbfs, probability)
        self.frames += 1
        self._on_frame(frame.reshape(-1, 1))

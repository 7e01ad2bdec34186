"""Decoded media handed to lkdesk users: numpy arrays with size and timestamp."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is not imported at load: core stays light
    import numpy as np
    import numpy.typing as npt


class VideoFormat(StrEnum):
    """Pixel layouts a :class:`VideoStream` can deliver."""

    RGB24 = "rgb24"
    BGR24 = "bgr24"
    RGBA = "rgba"


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One decoded picture. ``data`` has shape (height, width, channels), dtype uint8."""

    width: int
    height: int
    format: VideoFormat
    data: npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class VideoFrameEvent:
    """A frame and its capture-relative timestamp (microseconds, from RTP time)."""

    frame: VideoFrame
    timestamp_us: int


@dataclass(frozen=True, slots=True)
class AudioFrame:
    """Interleaved 16-bit PCM. ``data`` has shape (samples_per_channel, num_channels)."""

    data: npt.NDArray[np.int16]
    sample_rate: int
    num_channels: int

    @property
    def samples_per_channel(self) -> int:
        return int(self.data.shape[0])

    @property
    def duration_s(self) -> float:
        return self.samples_per_channel / self.sample_rate


@dataclass(frozen=True, slots=True)
class AudioFrameEvent:
    """One audio frame as delivered by an :class:`AudioStream`."""

    frame: AudioFrame

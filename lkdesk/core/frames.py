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
    BGRA = "bgra"  # Qt's RGB32 byte order on little-endian machines: painted unconverted


def fitted_size(
    width: int, height: int, box_width: int, box_height: int, *, cover: bool
) -> tuple[int, int]:
    """The size a ``width``×``height`` picture is scaled to for a box, aspect ratio kept.

    ``cover``: it fills the box and the overflow is cropped (cameras); otherwise it fits
    inside with bars (screen shares). A picture whose shape is far from the box's (a
    portrait phone in a landscape tile) fits instead of being cropped to a sliver. An empty
    box or picture leaves the size as it is.
    """
    if min(width, height, box_width, box_height) <= 0:
        return width, height
    if cover and abs(width / height - box_width / box_height) > 0.6:
        cover = False
    pick = max if cover else min
    scale = pick(box_width / width, box_height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One picture. ``data`` has shape (height, width, channels), dtype uint8.

    ``i420``, when set, is the same picture already in I420 (shape (height * 3 // 2, width):
    the Y plane, then U, then V), made once from what a camera captured; an encoder takes it
    as it is instead of converting ``data`` again.
    """

    width: int
    height: int
    format: VideoFormat
    data: npt.NDArray[np.uint8]
    i420: npt.NDArray[np.uint8] | None = None


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

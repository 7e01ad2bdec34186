"""Audio level measurement for meters: RMS and peak in dBFS."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FLOOR_DBFS = -120.0
METER_RANGE_DB = 60.0


@dataclass(frozen=True, slots=True)
class AudioLevel:
    """RMS and peak level of one frame in dBFS (0 = full scale, floor -120)."""

    rms_dbfs: float = FLOOR_DBFS
    peak_dbfs: float = FLOOR_DBFS

    @property
    def normalized(self) -> float:
        """RMS mapped to 0..1 over the top ``METER_RANGE_DB`` dB, for a meter bar."""
        return min(max((self.rms_dbfs + METER_RANGE_DB) / METER_RANGE_DB, 0.0), 1.0)


SILENCE = AudioLevel()


def _db(value: float) -> float:
    return max(20.0 * math.log10(value), FLOOR_DBFS) if value > 0.0 else FLOOR_DBFS


def measure(samples: npt.NDArray[np.int16] | npt.NDArray[np.float32]) -> AudioLevel:
    """Level of int16 PCM (scaled by 1/32768) or float samples in -1..1."""
    if samples.size == 0:
        return SILENCE
    x = samples.astype(np.float32, copy=False)
    scale = 1.0 / 32768.0 if samples.dtype == np.int16 else 1.0
    rms = math.sqrt(float(np.mean(np.square(x, dtype=np.float32)))) * scale
    peak = float(np.max(np.abs(x))) * scale
    return AudioLevel(rms_dbfs=_db(rms), peak_dbfs=_db(peak))

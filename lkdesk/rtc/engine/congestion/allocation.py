"""Which layers of a video track to send, at what bitrate and frame rate, for a budget.

Layers are chosen the way livekit-client does (``publishUtils.ts``): a camera of at least
960 pixels on its long side sends three (180p ``q``, 360p ``h``, full ``f``), one of 480
two (``q`` plus full as ``h``), anything smaller one; bitrates and frame rates are
livekit-client's presets, minimum bitrates libwebrtc's (``simulcast.cc``).

Under a shrinking budget a track degrades in this order: the encoder bitrate goes down
(to each layer's minimum), then the frame rate, then the resolution (the top layer stops;
a single-layer track is encoded smaller). The lowest wanted layer never stops. Hysteresis
keeps a layer from flapping on and off at the edge of its minimum: it stops below 70 % of
its minimum, and starts again above 110 % once that has lasted two seconds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

#: livekit-client's h180 / h360 presets, libwebrtc's minimums for those sizes.
_LOW = (180, 160_000, 30_000, 20.0)
_MID = (360, 450_000, 150_000, 20.0)
#: (height at most, max bitrate, min bitrate, max fps) for the full-size layer.
_FULL = (
    (180, 160_000, 30_000, 20.0),
    (360, 450_000, 150_000, 20.0),
    (540, 800_000, 350_000, 25.0),
    (720, 1_700_000, 600_000, 30.0),
    (1080, 3_000_000, 800_000, 30.0),
)
_QUALITY_RIDS = ("q", "h", "f")
#: A stopped layer starts again above this share of its minimum, stops below the lower one.
START_AT = 1.1
STOP_AT = 0.7
START_AFTER_S = 2.0
MIN_FPS = 5.0


class Degradation(Enum):
    BALANCED = "balanced"  # cameras: frame rate first, then resolution
    MAINTAIN_RESOLUTION = "maintain-resolution"  # screens: text stays readable


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """One encoding of a track. ``quality``: LiveKit's VideoQuality (LOW 0 … HIGH 2)."""

    rid: str
    quality: int
    width: int
    height: int
    max_bps: int
    min_bps: int
    max_fps: float


@dataclass(frozen=True, slots=True)
class LayerPlan:
    """What one layer does now; ``scale`` < 1 shrinks a single-layer track's picture."""

    active: bool
    bitrate: int = 0
    fps: float = 0.0
    scale: float = 1.0


def _full_preset(height: int) -> tuple[int, int, float]:
    for limit, max_bps, min_bps, fps in _FULL:
        if height <= limit:
            return max_bps, min_bps, fps
    return _FULL[-1][1:]


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def camera_layers(
    width: int, height: int, *, simulcast: bool, max_bps: int | None = None, max_fps: float = 30
) -> list[LayerSpec]:
    """The layers livekit-client would publish for a camera of this size."""
    full_max, full_min, full_fps = _full_preset(min(width, height))
    full_max = max_bps or full_max
    full_fps = min(full_fps, max_fps)
    short = min(width, height)
    presets: list[tuple[int, int, int, float]] = []
    if simulcast and max(width, height) >= 960:
        presets = [_LOW, _MID]
    elif simulcast and max(width, height) >= 480:
        presets = [_LOW]
    layers = []
    for index, (size, top, bottom, fps) in enumerate(presets):
        scale = size / short
        layers.append(
            LayerSpec(
                _QUALITY_RIDS[index], index, _even(width * scale), _even(height * scale),
                top, bottom, min(fps, full_fps),
            )
        )  # fmt: skip
    rid = _QUALITY_RIDS[len(layers)] if layers else ""
    quality = len(layers) if layers else 2
    full_min = min(full_min, full_max)
    layers.append(LayerSpec(rid, quality, width, height, full_max, full_min, full_fps))
    return layers


def screen_layer(width: int, height: int, max_bps: int, max_fps: float) -> LayerSpec:
    return LayerSpec("", 2, width, height, max_bps, min(150_000, max_bps), max_fps)


class Allocator:
    """Shares a bitrate among one track's layers; remembers which layers were on."""

    def __init__(
        self, layers: Sequence[LayerSpec], degradation: Degradation = Degradation.BALANCED
    ) -> None:
        self.layers = list(layers)
        self.degradation = degradation
        self._on = [True] * len(self.layers)
        self._room_since: list[float | None] = [None] * len(self.layers)

    def max_bps(self, wanted: Sequence[bool]) -> int:
        return sum(s.max_bps for s, w in zip(self.layers, wanted, strict=True) if w)

    def allocate(
        self, budget: int, wanted: Sequence[bool], now: float | None = None
    ) -> list[LayerPlan]:
        """Plans for each layer; ``now`` (monotonic s) times the restart hold-off."""
        now = time.monotonic() if now is None else now
        chosen = [i for i, w in enumerate(wanted) if w]
        plans = [LayerPlan(False) for _ in self.layers]
        if not chosen:
            return plans
        if len(self.layers) == 1:
            plans[0] = self._single(budget)
            return plans
        left = budget
        running: list[int] = []
        for n, i in enumerate(chosen):
            spec = self.layers[i]
            need = spec.min_bps * (STOP_AT if self._on[i] else START_AT)
            if n > 0 and left < need:
                self._room_since[i] = None
                break
            if n > 0 and not self._on[i]:
                # A stopped layer restarts only once the room has lasted START_AFTER_S: a
                # probe's short-lived spike must not start a 720p keyframe and stop again.
                since = self._room_since[i]
                if since is None:
                    self._room_since[i] = now
                if since is None or now - since < START_AFTER_S:
                    break
            running.append(i)
            left -= min(spec.min_bps, left)
        for i in range(len(self.layers)):
            self._on[i] = i in running
        left = budget
        shares: dict[int, int] = {}
        for i in running:  # each its minimum, from the bottom (the last may get less)
            shares[i] = min(self.layers[i].min_bps, left)
            left -= shares[i]
        for i in running:  # lower layers up to their maximum first, as libwebrtc does
            extra = min(self.layers[i].max_bps - shares[i], left)
            shares[i] += extra
            left -= extra
        for i in running:
            spec = self.layers[i]
            ratio = min(shares[i] / spec.min_bps, 1.0)
            fps = max(spec.max_fps * ratio, MIN_FPS)
            plans[i] = LayerPlan(True, max(shares[i], spec.min_bps // 4), fps)
        return plans

    def _single(self, budget: int) -> LayerPlan:
        spec = self.layers[0]
        bitrate = min(budget, spec.max_bps)
        ratio = budget / spec.min_bps
        if ratio >= 1:
            return LayerPlan(True, bitrate, spec.max_fps)
        if self.degradation is Degradation.MAINTAIN_RESOLUTION:
            return LayerPlan(True, max(bitrate, spec.min_bps // 4), max(spec.max_fps * ratio, 1))
        if ratio >= 0.5:  # frame rate first, down to half
            return LayerPlan(True, bitrate, max(spec.max_fps * ratio, MIN_FPS))
        # then resolution: half the width and height needs about a quarter of the bits
        scale = 0.5 if ratio >= 0.125 else 0.25
        fps = min(spec.max_fps, spec.max_fps * ratio / (scale * scale) / 2)
        return LayerPlan(True, max(bitrate, spec.min_bps // 8), max(fps, MIN_FPS), scale)

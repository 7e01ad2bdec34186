"""What a network check reports, step by step: light enough for the UI to import at start-up
(the check itself, :mod:`lkdesk.session.network_check`, loads the media stack)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class StepState(StrEnum):
    PASS = "pass"
    WARN = "warning"
    FAIL = "fail"
    SKIPPED = "skipped"


STEPS: dict[str, str] = {
    "signalling": "Signalling (WebSocket)",
    "udp": "WebRTC over UDP",
    "relay": "TCP/TURN fallback",
    "publish": "Publishing audio and video",
    "rtt": "Round-trip time",
    "uplink": "Uplink",
}


@dataclass(frozen=True, slots=True)
class CheckStep:
    """One step's outcome: ``detail`` says what was found, ``advice`` what to do about it."""

    key: str
    state: StepState
    detail: str
    advice: str = ""
    value: float | None = None  # seconds for "rtt", bits per second for "uplink"

    @property
    def title(self) -> str:
        return STEPS[self.key]


@dataclass
class NetworkReport:
    """Every step in order; ``failed`` names the first step that failed."""

    steps: list[CheckStep] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.state in (StepState.PASS, StepState.WARN) for s in self.steps)

    @property
    def failed(self) -> CheckStep | None:
        return next((s for s in self.steps if s.state is StepState.FAIL), None)

    def step(self, key: str) -> CheckStep | None:
        return next((s for s in self.steps if s.key == key), None)

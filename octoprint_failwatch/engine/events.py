"""What the engine tells the world, as typed events, in the order data flows: frame → verdict → decision.

Events are immutable data. Frames travel only in `Analysed` and `VerificationDecided`, for the incident
history and the tab; `summary()` is what may go into an OctoPrint event, MQTT or the browser: no frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from ..analysis.verdict import Verdict
from ..frame import Frame


@dataclass(frozen=True)
class StatusChanged:
    """The engine's state or its figures changed; `status` is a copy taken under the engine's lock."""

    status: dict


@dataclass(frozen=True)
class Analysed:
    """A model call came back with a verdict on `frames` while the engine was in `state`."""

    verdict: Verdict
    frames: tuple[Frame, ...]
    state: str


@dataclass(frozen=True)
class LocalLooked:
    """The on-device detector looked at a frame (`verdict.source` is "detector"); for the tab's timeline."""

    verdict: Verdict
    state: str


@dataclass(frozen=True)
class FailureDetected:
    """A look said "failed": verification starts."""

    verdict: Verdict

    def summary(self) -> dict:
        return {"verdict": self.verdict.as_dict()}


@dataclass(frozen=True)
class VerificationDecided:
    """A verification round ended: the failure is confirmed, or the alarm is rejected."""

    confirmed: bool
    trigger: Verdict  # the series verdict that names the failure
    quick: Optional[Verdict]  # the quick look that raised the alarm, if quick checks are on
    series_check: Optional[bool]  # the full series' verdict behind a quick look
    results: tuple[Optional[Verdict], ...]  # one per verification series analysed; None = a model error
    positives: int
    required: int
    series: int
    seconds: float
    trigger_frames: tuple[Frame, ...]
    verification_frames: tuple[tuple[Frame, ...], ...]
    test_run: bool = False

    @property
    def name(self) -> str:
        return "failure_confirmed" if self.confirmed else "verification_rejected"

    def summary(self) -> dict:
        return {
            "trigger": self.trigger.as_dict(),
            "quick": self.quick.as_dict() if self.quick else None,
            "series_check": self.series_check,
            "results": [verdict.as_dict() if verdict else None for verdict in self.results],
            "positives": self.positives,
            "required": self.required,
            "series": self.series,
            "seconds": self.seconds,
            "test_run": self.test_run,
        }


@dataclass(frozen=True)
class CameraProblem:
    """No usable picture: `kind` is unreachable, black, uniform or frozen."""

    kind: str
    text: str


@dataclass(frozen=True)
class CameraRecovered:
    """The camera gives usable pictures again."""


@dataclass(frozen=True)
class MonitoringStopped:
    """Too many errors in a row: the engine waits `seconds` before it goes on."""

    text: str
    seconds: float


EngineEvent = Union[
    StatusChanged,
    Analysed,
    LocalLooked,
    FailureDetected,
    VerificationDecided,
    CameraProblem,
    CameraRecovered,
    MonitoringStopped,
]

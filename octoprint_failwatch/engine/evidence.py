"""Which verdicts count as a failure: the model says so, confidently enough, and not like an alarm the user
has already dismissed in this print.

Vision models' false alarms are mostly persistent — a purge blob, a brim, supports that look like
spaghetti stay in view for the rest of the print. After "Not a failure" on an incident, its look-alike
is remembered for the print: a later failing verdict counts only if it is clearly worse than every
dismissed one — a specific failure type that none of the dismissed verdicts named, or a failure
confidence at least `DISMISSAL_MARGIN` above the dismissed one's. What it can miss: a real failure of
the same type whose confidence stays within the margin of the dismissed look-alike's. The on-device
detector's scores are on a scale of their own: a detector verdict is compared with the detector's
scores of the dismissed alarm only (its later triggers are silenced unless clearly stronger).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterable, Optional

from ..analysis.verdict import Verdict

DISMISSAL_MARGIN = 0.15  # how much more confident than a dismissed alarm a same-type verdict must be
UNSPECIFIED = ("other", "none")  # no type to tell a failure from a look-alike by


@dataclass(frozen=True)
class LookAlike:
    """What a dismissed alarm looked like: the types the model's verdicts named, their highest confidence,
    and the on-device detector's highest score (0: the detector did not raise it)."""

    incident: str
    failure_types: frozenset
    confidence: float
    detector_score: float = 0.0

    @classmethod
    def of(cls, incident: str, verdicts: Iterable[Optional[dict]]) -> LookAlike:
        failing = [v for v in verdicts if v and v.get("print_failed")]
        model = [v for v in failing if v.get("source", "model") == "model"]
        detector = [v for v in failing if v.get("source") == "detector"]
        return cls(
            incident,
            frozenset(v.get("failure_type") or "other" for v in model),
            max((float(v.get("confidence") or 0) for v in model), default=0.0),
            max((float(v.get("confidence") or 0) for v in detector), default=0.0),
        )


class Evidence:
    def __init__(self, min_confidence: float = 0.0, margin: float = DISMISSAL_MARGIN):
        self.min_confidence = min_confidence  # the sensitivity setting: 0 = every "failed" counts
        self._margin = margin
        self._lock = threading.Lock()  # guards the dismissed look-alikes (engine and request threads)
        self._dismissed: list[LookAlike] = []

    def counts(self, verdict: Optional[Verdict]) -> bool:
        """Whether the verdict is evidence of a failure."""
        return (
            verdict is not None
            and verdict.print_failed
            and verdict.confidence >= self.min_confidence
            and self.resembles(verdict) is None
        )

    def resembles(self, verdict: Verdict) -> Optional[LookAlike]:
        """The dismissed look-alike this failing verdict is not clearly worse than, if any."""
        with self._lock:
            for look_alike in self._dismissed:
                if verdict.source == "detector":
                    if look_alike.detector_score and verdict.confidence < look_alike.detector_score + self._margin:
                        return look_alike
                    continue
                if verdict.source == "change":  # a change since the watch began: a dismissed one is in the past
                    continue
                new_type = (
                    verdict.failure_type not in UNSPECIFIED and verdict.failure_type not in look_alike.failure_types
                )
                if not new_type and verdict.confidence < look_alike.confidence + self._margin:
                    return look_alike
        return None

    def dismiss(self, look_alike: LookAlike) -> None:
        with self._lock:
            self._dismissed = [d for d in self._dismissed if d.incident != look_alike.incident] + [look_alike]

    def withdraw(self, incident: str) -> None:
        """The user changed their mind: the incident is a real failure after all."""
        with self._lock:
            self._dismissed = [d for d in self._dismissed if d.incident != incident]

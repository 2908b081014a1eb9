"""The offline backend (`model_backend: local`): the on-device detector judges the series too, no cloud at all.

A series is positive when at least 2 of its frames are flagged (all of them for a shorter series), so
one odd frame does not start an alarm on its own; a single-frame look is positive when that frame is.
Verification, alerts and the pause run as they do with a vision model; the calls cost nothing.
"""

from __future__ import annotations

from typing import Sequence

from ..frame import Frame
from .local_detector import DETECTOR_NAME
from .local_model import DetectorSlot
from .verdict import AnalysisError, Verdict

FLAGGED_FRAMES = 2  # of a series, for a positive verdict


class OfflineBackend:
    def __init__(self, slot: DetectorSlot):
        self._slot = slot

    def __call__(self, frames: Sequence[Frame], quick: bool = False) -> Verdict:
        detector = self._slot.detector()
        if detector is None:
            raise AnalysisError(f"the on-device detector is not ready ({self._slot.message})")
        detections = [detector.inspect(frame.jpeg) for frame in frames]  # frames are cropped to the region already
        flagged = [d for d in detections if d.flagged]
        needed = min(FLAGGED_FRAMES, len(detections))
        best = max(detections, key=lambda d: d.score)
        failed = len(flagged) >= needed
        verdict = best.verdict()
        explanation = (
            best.words()
            if len(detections) == 1
            else f"{best.words()} ({len(flagged)} of {len(detections)} frames flagged)"
        )
        return Verdict(
            print_failed=failed,
            confidence=verdict.confidence,
            failure_type=verdict.failure_type if failed else "none",
            explanation=explanation,
            latency=sum(d.ms for d in detections) / 1000,
            model=DETECTOR_NAME,
            source="detector",
        )

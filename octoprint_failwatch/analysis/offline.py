"""The offline backend (`model_backend: local`): the on-device detector judges the series too, no cloud at all.

A series is positive when at least 2 of its frames (all of a shorter series) show a change against what the print
has shown before — a flagged region that is new, or growing — not a bare score: a look-alike that is part of the
print is flagged in every frame and never changes (`print_detector.PrintDetector`). Verification, alerts and the
pause run as they do with a vision model; the calls cost nothing.
"""

from __future__ import annotations

from typing import Optional, Sequence

from ..frame import Frame
from .context import NO_BRIEFING, Briefing
from .plate import PlateReading
from .print_detector import PrintDetector
from .verdict import AnalysisError, Verdict

NO_BED_CHECK = "the bed check needs a vision model: the on-device detector sees failures, not a plate's leftovers"


class OfflineBackend:
    def __init__(self, detector: Optional[PrintDetector]):
        self._detector = detector  # the print's: its memory is the print's

    def __call__(self, frames: Sequence[Frame], quick: bool = False, briefing: Briefing = NO_BRIEFING) -> Verdict:
        if self._detector is None:
            raise AnalysisError("the on-device detector is not set up for this watch")
        return self._detector.judge(frames)

    def check_bed(self, frame: Frame) -> PlateReading:
        raise AnalysisError(NO_BED_CHECK)

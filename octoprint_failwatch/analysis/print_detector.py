"""The on-device detector as one print's watch uses it: each reading held against what the print has shown before
(`print_memory.PrintMemory`), so that a flag raises an alarm — or, offline, confirms one — only when something
changed. One per engine: a new print starts with no memory and no stale score.

`look` is the detector's first look at a frame (the engine's `Detector`); `judge` is the offline judge of a series
(`offline.OfflineBackend`): positive when at least 2 of its frames (all of a shorter series) show a change.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional, Sequence

from ..frame import Frame
from .local_detector import DETECTOR_NAME, DetectorReading
from .local_model import DetectorSlot
from .print_memory import PrintMemory
from .verdict import AnalysisError, Verdict

CHANGED_FRAMES = 2  # of a series, for a positive offline verdict


class PrintDetector:
    def __init__(self, slot: DetectorSlot):
        self._slot = slot
        self._memory = PrintMemory()

    @property
    def ready(self) -> bool:
        return self._slot.ready

    def look(self, frame: Frame) -> Optional[Verdict]:
        """The first look at a camera frame; None while the detector is not ready."""
        reading = self._slot.read(frame)
        return None if reading is None else self._judged(reading, frame.captured_at)

    def judge(self, frames: Sequence[Frame]) -> Verdict:
        """A series judged by the detector alone (frames already cropped to the region of interest)."""
        readings = []
        for frame in frames:
            reading = self._slot.read(frame, cropped=True)
            if reading is None:
                raise AnalysisError(f"the on-device detector is not ready ({self._slot.message})")
            readings.append((reading, self._judged(reading, frame.captured_at)))
        changed = [verdict for _, verdict in readings if verdict.print_failed]
        flagged = [reading for reading, _ in readings if reading.flagged]
        failed = len(changed) >= min(CHANGED_FRAMES, len(readings))
        best = max(changed or [verdict for _, verdict in readings], key=lambda verdict: verdict.confidence)
        explanation = (
            best.explanation
            if len(readings) == 1
            else (f"{best.explanation} ({len(flagged)} of {len(readings)} frames flagged, {len(changed)} a change)")
        )
        return replace(
            best,
            print_failed=failed,
            failure_type=best.failure_type if failed else "none",
            explanation=explanation,
            latency=sum(r.ms for r, _ in readings) / 1000,
            model=DETECTOR_NAME,
        )

    def _judged(self, reading: DetectorReading, at: float) -> Verdict:
        changes = self._memory.observe(list(reading.seen_boxes), at)
        verdict = reading.verdict()
        if not reading.flagged:
            return verdict
        if not changes:  # part of the print: a reason to look no closer
            return replace(
                verdict,
                print_failed=False,
                failure_type="none",
                explanation=f"{reading.words()}: in place since it was first seen, part of the print",
            )
        return replace(verdict, explanation=f"{reading.words()} ({changes[0].why})")

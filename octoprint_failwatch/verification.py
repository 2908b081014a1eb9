"""One alarm's verification round: fresh series, their verdicts, and the decision.

A positive look starts a round of V verification series, never reusing the frames that raised the
alarm. Interleaved (the default), the V series are captured side by side — each keeps the verification
interval between its own frames — so all are complete after one series' time and are analysed in
parallel; one after the other, each series waits for the previous verdict. A failure is confirmed on
a positive series and K positive verifications; the round ends as soon as that is reached, or as soon
as it can no longer be.
"""

from __future__ import annotations

from typing import Optional

from .analysis.verdict import Verdict
from .config import FailwatchConfig
from .events import VerificationDecided
from .frame import Frame


class VerificationRound:
    def __init__(self, config: FailwatchConfig, trigger: Verdict, trigger_frames: list[Frame], started_at: float,
                 quick: Optional[Verdict] = None):
        self._config = config
        self.trigger = trigger
        self.trigger_frames = trigger_frames
        self.started_at = started_at
        self.quick = quick  # the quick look that raised the alarm; its series call is then still out
        self.series_check: Optional[bool] = None if quick else True
        self.results: list[Optional[Verdict]] = []  # None = the call failed
        self.frames: list[list[Frame]] = []  # the series behind each result
        self.series_captured = 0
        self._buckets: list[list[Frame]] = [[] for _ in range(config.verification_series)]
        self._frames_taken = 0

    @property
    def interleaved(self) -> bool:
        return self._config.pipeline_verification

    @property
    def positives(self) -> int:
        return sum(1 for verdict in self.results if verdict is not None and verdict.print_failed)

    def all_captured(self) -> bool:
        return self.series_captured >= self._config.verification_series

    def capture_interval(self) -> float:
        """Seconds between two verification frames: the interval, shared by the series side by side."""
        config = self._config
        return config.verification_interval / (config.verification_series if self.interleaved else 1)

    def add_frame(self, frame: Frame) -> Optional[list[Frame]]:
        """Files a new frame; returns a series when this frame completes one."""
        size, count = self._config.images_per_series, self._config.verification_series
        bucket = self._buckets[self._frames_taken % count if self.interleaved else self.series_captured]
        self._frames_taken += 1
        bucket.append(frame)
        if len(bucket) < size:
            return None
        self.series_captured += 1
        return list(bucket)

    def series_verdict(self, verdict: Optional[Verdict]) -> None:
        """The full series call behind a quick look came back; its verdict, if positive, names the failure."""
        self.series_check = verdict is not None and verdict.print_failed
        if self.series_check:
            self.trigger = verdict

    def add_result(self, verdict: Optional[Verdict], frames: list[Frame]) -> None:
        self.results.append(verdict)
        self.frames.append(frames)

    def decision(self) -> Optional[bool]:
        """True: confirmed; False: rejected (or confirmation out of reach); None: not decided yet."""
        config = self._config
        positives = self.positives
        if positives >= config.verification_required and self.series_check is True:
            return True
        left = config.verification_series - len(self.results)
        if self.series_check is False or positives + left < config.verification_required:
            return False
        return None

    def progress(self) -> dict:
        config = self._config
        return {"done": len(self.results), "captured": self.series_captured, "positives": self.positives,
                "required": config.verification_required, "series": config.verification_series,
                "series_check": self.series_check}

    def decided(self, confirmed: bool, now: float, test_run: bool) -> VerificationDecided:
        config = self._config
        return VerificationDecided(
            confirmed=confirmed, trigger=self.trigger, quick=self.quick, series_check=self.series_check,
            results=tuple(self.results), positives=self.positives, required=config.verification_required,
            series=config.verification_series, seconds=now - self.started_at,
            trigger_frames=tuple(self.trigger_frames), verification_frames=tuple(tuple(s) for s in self.frames),
            test_run=test_run)

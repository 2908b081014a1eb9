"""One alarm's verification round: fresh series, their verdicts, and the decision.

A failing look starts a round of V verification series, never reusing the frames that raised the
alarm. Pipelined (`pipeline_verification`, the default), the V series are captured side by side — each keeps the
verification interval between its own frames, the series a camera frame apart — so all are complete
after about one series' time and are analysed in parallel; one after the other, each series waits for
the previous verdict. A failure is confirmed on a positive series and K positive verifications; the
round ends as soon as that is reached, or as soon as it can no longer be.

Frames are cheap and model calls are not: while a quick look is still with the model, the round's
frames are already being taken (a prefetch). If the look comes back healthy they are dropped; if it
says "failed", verification is already under way. Its series go to the model at once when the look is
sure (a failure likelihood of EARLY_CONFIDENCE or more, or a change of the picture that lasted its looks in a row);
a doubtful look's verification waits for the full series' verdict, so a false alarm it rejects costs no
verification calls.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..analysis.verdict import Verdict
from ..config import FailwatchConfig
from ..frame import Frame
from .events import VerificationDecided

EARLY_CONFIDENCE = 0.8  # a quick look this sure has its verification analysed before the full series answers
# seconds between the series side by side: about one picture of a 10 fps camera (an RTSP capture waits for a
# new picture of the stream; a snapshot URL may serve the same one twice). Wider apart only delays the decision
SERIES_GAP = 0.1


class VerificationRound:
    def __init__(self, config: FailwatchConfig, started_at: float, counts: Callable[[Optional[Verdict]], bool]):
        self._config = config
        self._counts = counts  # whether a verdict is evidence of a failure (sensitivity, dismissed look-alikes)
        self.started_at = started_at
        self.trigger: Optional[Verdict] = None  # None while prefetching: no alarm yet
        self.trigger_frames: list[Frame] = []
        self.quick: Optional[Verdict] = None  # the quick look that raised the alarm, if any
        self.series_check: Optional[bool] = None  # the full series' verdict; None while it is out
        self.results: list[Optional[Verdict]] = []  # None = the call failed
        self.frames: list[list[Frame]] = []  # the series behind each result
        self.series_captured = 0
        self.shown = False  # its progress is in the status the pages read
        self._buckets: list[list[Frame]] = [[] for _ in range(config.verification_series)]
        self._complete: list[list[Frame]] = []  # series captured and not yet handed out for analysis
        self._frames_taken = 0
        self._next_due = started_at + self._offset(0)

    def raise_alarm(self, trigger: Verdict, trigger_frames: list[Frame], quick: Optional[Verdict] = None) -> None:
        """The alarm this round verifies: a quick look (its full series then still out) or a positive series."""
        self.trigger, self.trigger_frames, self.quick = trigger, trigger_frames, quick
        self.series_check = None if quick else True

    @property
    def alarmed(self) -> bool:
        return self.trigger is not None

    @property
    def pipelined(self) -> bool:
        return self._config.pipeline_verification

    @property
    def positives(self) -> int:
        return sum(1 for verdict in self.results if self._counts(verdict))

    # ----- frames -----

    def ready_to_analyse(self) -> bool:
        """Whether complete series may go to the model now (not while a doubtful look's series is out). A change of
        the picture is no doubtful look: it lasted its looks in a row before it was raised."""
        quick = self.quick
        return self.series_check is True or (
            quick is not None
            and self.series_check is None
            and (quick.confidence >= EARLY_CONFIDENCE or quick.source == "change")
        )

    def all_captured(self) -> bool:
        return self.series_captured >= self._config.verification_series

    def due(self, now: float) -> bool:
        # a microsecond's tolerance: due times are sums of decimal fractions (1020.1 + 2.1 is not 1022.2)
        return not self.all_captured() and now >= self._next_due - 1e-6

    def _offset(self, frame: int) -> float:
        """When frame number `frame` of the round is due, from the round's start."""
        config = self._config
        if not self.pipelined:
            return frame * config.verification_interval
        series, index = frame % config.verification_series, frame // config.verification_series
        return index * config.verification_interval + (series + 1) * self.stagger()

    def stagger(self) -> float:
        """How far apart the series side by side start: close, so that K of them are complete soon after the
        first, and apart, so that no two frames are the same moment (and a row of them stays well within the
        verification interval, however short it is set)."""
        config = self._config
        return min(SERIES_GAP, config.verification_interval / (2 * config.verification_series))

    def add_frame(self, frame: Frame, now: float) -> None:
        """Files a new frame in its series."""
        config = self._config
        bucket = self._buckets[
            self._frames_taken % config.verification_series if self.pipelined else self.series_captured
        ]
        self._frames_taken += 1
        if self.pipelined:
            self._next_due = self.started_at + self._offset(self._frames_taken)
        else:  # one after the other: the spacing counts from this frame; a new series waits for the verdict
            self._next_due = now + config.verification_interval
        bucket.append(frame)
        if len(bucket) == config.images_per_series:
            self.series_captured += 1
            self._complete.append(list(bucket))

    def complete_series(self) -> list[list[Frame]]:
        """The series completed since the last call, to be analysed."""
        complete, self._complete = self._complete, []
        return complete

    # ----- verdicts -----

    def series_verdict(self, verdict: Optional[Verdict]) -> None:
        """The full series call behind a quick look came back; its verdict, if positive, names the failure."""
        self.series_check = self._counts(verdict)
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
        return {
            "done": len(self.results),
            "captured": self.series_captured,
            "positives": self.positives,
            "required": config.verification_required,
            "series": config.verification_series,
            "series_check": self.series_check,
        }

    def decided(self, confirmed: bool, now: float, test_run: bool) -> VerificationDecided:
        config = self._config
        assert self.trigger is not None, "a round is decided only after its alarm"
        return VerificationDecided(
            confirmed=confirmed,
            trigger=self.trigger,
            quick=self.quick,
            series_check=self.series_check,
            results=tuple(self.results),
            positives=self.positives,
            required=config.verification_required,
            series=config.verification_series,
            seconds=now - self.started_at,
            trigger_frames=tuple(self.trigger_frames),
            verification_frames=tuple(tuple(s) for s in self.frames),
            test_run=test_run,
        )

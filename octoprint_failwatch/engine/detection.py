"""Detection: frames → model calls → verification → a decision, for the engine (`engine.Engine`).

The policy: a series of N frames spaced by the interval is analysed in one call; a failing series starts a
verification round (`verification.py`); a failing series and K of V failing verifications confirm. With
`quick_check` (default) every new frame is first looked at alone with a short question; only a failing look
sends the series, beside the verification whose frames were already being taken while the look was out —
the same evidence, sooner and cheaper. A series or verification call refused for a passing reason is retried
after a jittered wait (`model_calls.py`); a quick look refused by the account's quota (throttled) is not an
error of the print's watch: the looks slow down instead (`pacing.py`). What counts as a failing verdict is
`evidence.Evidence`'s call. With an on-device detector ready, the local eyes (the detector and the picture-change
eye) take the first look at every frame and the quick look becomes a rarer safety net (`local_looks.py`).

The line between the two classes: `Detection` owns the evidence under way (frames, calls, the round) and
never changes the engine's state or status itself; it tells its `Lifecycle` (the engine) what happened — a
look counted, a verdict, an alarm, a decision, an error, a camera problem, a print not ready to judge — and the
engine, the one owner of the state and its `Status`, decides what follows. Both run under the engine's lock.
"""

from __future__ import annotations

import threading
from typing import Callable, Optional, Protocol, Union

from ..analysis.verdict import Verdict
from ..config import FailwatchConfig
from ..frame import CameraError, Frame
from ..sources.health import CameraHealth
from .events import Analysed, EngineEvent, FailureDetected, LocalLooked
from .evidence import Evidence
from .frame_taker import FrameTaker, Purpose
from .local_looks import LOCAL_EYES, LocalLooks
from .model_calls import Call, ModelCalls
from .pacing import LookPace
from .parts import Analyse, EngineParts
from .status import State
from .verification import VerificationRound

ACTIVE = (State.WATCHING, State.VERIFYING)
RELEASE_CAMERA_AFTER = 1.5  # no frame due within this many seconds: the camera's stream may close


class Lifecycle(Protocol):
    """What the detection tells the engine, and reads of it."""

    @property
    def state(self) -> State: ...

    @property
    def test_run(self) -> bool: ...

    def not_ready_to_judge(self, state: State, message: str) -> None: ...

    def alarm_raised(self, eye: str) -> None: ...

    def count(self, counter: str, amount: int = 1) -> None: ...

    def verdict_recorded(
        self, verdict: dict, counted: bool, like_dismissed: Optional[str], recovered: bool
    ) -> None: ...

    def verification_progress(self, progress: Optional[dict]) -> None: ...

    def begin_watching(self, now: float, message: str, at_once: bool = True) -> None: ...

    def confirmed(self, explanation: str) -> None: ...

    def test_run_finished(self) -> None: ...

    def camera_problem(self, kind: str, text: str) -> None: ...

    def camera_back(self, now: float) -> None: ...

    def count_error(self, text: str) -> None: ...

    def throttled(self, error: BaseException, in_a_row: int) -> None: ...

    def emit(self, event: EngineEvent) -> None: ...


class Detection:
    def __init__(self, config: FailwatchConfig, parts: EngineParts, lifecycle: Lifecycle):
        self._config = config
        self._engine = lifecycle
        self._clock = parts.clock
        self._logger = parts.logger
        self._gate = parts.gate  # why not to analyse yet: (state, words), or None
        self.arrived = threading.Event()  # a frame or a model answer is there: the engine ticks at once
        health = parts.health or CameraHealth(config.frozen_seconds)
        self._camera = FrameTaker(parts.capture, health, parts.camera_executor, self.arrived.set)
        self._random = parts.rng
        self._start_spread = parts.start_spread  # the first look at a random point of as many intervals
        self._calls = ModelCalls(parts.executor, parts.analyse, parts.rng, self.arrived.set)
        self.evidence = Evidence(config.min_failure_confidence)
        self._frames: list[Frame] = []  # the newest regular frames: the next series
        self._next_capture_at = 0.0
        self._round: Optional[VerificationRound] = None  # a verification, or its prefetch during a quick look
        self._pace = LookPace(parts.rng)  # the looks slow down while the account's quota is spent
        self._local = LocalLooks(config, parts.detector, parts.logger)  # the local eyes, once the detector is ready
        self._look_at_once = True  # the next quick look goes out at the next frame, not after a full series

    def reconfigure(
        self, config: FailwatchConfig, capture: Optional[Callable[[], Frame]], analyse: Optional[Analyse]
    ) -> None:
        self._config = config
        self._local.reconfigure(config)
        self.evidence.min_confidence = config.min_failure_confidence
        if capture is not None:
            self._camera.replace(capture, CameraHealth(config.frozen_seconds))
        if analyse is not None:
            self._calls.replace(analyse)

    # ----- what the engine asks for -----

    def restart(self, now: float, at_once: bool = True) -> None:
        """Watching (again): whatever was under way no longer counts, the next frame is due now; `at_once`: its
        quick look too (a print's start, a hold's end, the camera back), not after a full series of frames."""
        self.end_run()
        self._local.new_watch()
        self._pace.looks_resume()
        self._next_capture_at = now
        self._look_at_once = at_once

    def spread_first_look(self, now: float) -> None:
        """A print's first look at a random point of the first `start_spread` intervals."""
        self._next_capture_at = now + self._random.uniform(0, self._start_spread * self._config.interval_between_images)
        self._local.model_look_in(now, self._random.uniform(0, self._start_spread * self._config.model_look_interval))

    def end_run(self, keep_frames: bool = False) -> None:
        """Drops the series being built, the frame and the calls still out: whatever they say no longer counts.
        `keep_frames` (the print is paused): the frames of the series so far and the schedule are kept for the print
        going on (`resume`)."""
        self._calls.new_run()
        self._camera.forget()
        self._reset_series(keep_frames)

    def resume(self, now: float) -> None:
        """The same print goes on after a pause: the next frame when it was due (at once after a long pause)."""
        self._pace.looks_resume()
        self._next_capture_at = max(self._next_capture_at, now)

    def _reset_series(self, keep_frames: bool = False) -> None:
        if not keep_frames:
            self._frames = []
        self._local.clear()
        if self._round is not None and self._round.shown:
            self._engine.verification_progress(None)
        self._round = None

    def advance(self, now: float) -> None:
        """Retries that are due, and the frame that is due, if the camera is free."""
        retried = self._calls.resubmit_due(now)
        if retried:
            self._engine.count("calls", retried)
            self._engine.count("retries", retried)
        if self._camera.busy:
            return
        state, verification = self._engine.state, self._round
        if state == State.CAMERA_PROBLEM and now >= self._next_capture_at:
            self._next_capture_at = now + self._config.interval_between_images
            self._camera.request(Purpose.RECHECK)
        elif state == State.WATCHING and now >= self._next_capture_at and (self._quick_checks() or not self._calls):
            # the regular frame first: frames taken during a quick look are a guess, it is not
            if self._local_first():
                self._next_capture_at = now + self._local.gap  # free looks: no pacing for the quota
                self._camera.request(Purpose.LOOK, self._local.look)
            else:
                self._next_capture_at = now + self._pace.next_gap(self._config.interval_between_images, now)
                self._camera.request(Purpose.LOOK)
        elif state in ACTIVE and verification and verification.due(now) and (verification.pipelined or not self._calls):
            self._camera.request(Purpose.VERIFY)  # one after the other: a series waits for the previous verdict
        elif not self._frame_due_soon(now, state):
            self._camera.release()

    def _frame_due_soon(self, now: float, state: State) -> bool:
        """Whether a frame will be asked for within RELEASE_CAMERA_AFTER (a stream worth keeping open)."""
        verifying = self._round is not None and not self._round.all_captured()  # or prefetching
        return state in (*ACTIVE, State.CAMERA_PROBLEM) and (
            verifying or self._next_capture_at - now < RELEASE_CAMERA_AFTER
        )

    # ----- frames -----

    def collect_frame(self) -> bool:
        """Handles the frame asked for, if it is there; True if it was."""
        taken = self._camera.taken()
        if taken is None:
            return False
        if isinstance(taken.result, CameraError):
            self._engine.camera_problem(taken.result.kind, str(taken.result))
        elif taken.purpose == Purpose.RECHECK:
            self._camera_recovered(taken.result)
        elif taken.purpose == Purpose.VERIFY and self._round is not None:
            self._round.add_frame(taken.result, self._clock.monotonic())
            if self._round.alarmed:
                self._submit_verifications()
        elif taken.purpose == Purpose.LOOK and self._engine.state == State.WATCHING:
            self._regular_frame(taken.result, taken.local)
        return True

    def _regular_frame(self, frame: Frame, local: Union[Verdict, Exception, None] = None) -> None:
        wait = self._gate()
        if wait is not None:  # heating, first minutes of the print: nothing worth judging yet
            self._reset_series()
            self._engine.not_ready_to_judge(State(wait[0]), wait[1])
            return
        if self._local_first():
            self._locally_looked(frame, local)
            return
        self._frames.append(frame)
        size = self._config.images_per_series
        if not self._quick_checks():
            if len(self._frames) >= size and not self._calls:
                self._submit(Call.SERIES, self._frames)  # one full series at a time
                self._frames = []
            return
        self._frames = self._frames[-size:]  # the newest N frames are kept for the series check
        # a watch's first looks go out from its first frame (their series check takes the frames there are so far);
        # after a rejected alarm, only once a full series of new frames is in hand
        if not self._calls and (len(self._frames) == size or self._look_at_once):
            self._look_quickly(frame)

    def _look_quickly(self, frame: Frame) -> None:
        """The newest frame alone to the model; the verification's frames are taken while the look is out."""
        self._submit(Call.QUICK, [frame])
        self._prefetch(frame.captured_at)

    def _prefetch(self, at: float) -> None:
        """The verification's frames are taken from `at` on, before an alarm: dropped if none comes."""
        if self._config.pipeline_verification and self._config.prefetch_verification:
            self._round = VerificationRound(self._config, at, self.evidence.counts)

    def _quick_checks(self) -> bool:
        return self._config.quick_check and not self._engine.test_run  # a test run runs the full cycle

    def _local_first(self) -> bool:
        return self._quick_checks() and self._local.active

    def _locally_looked(self, frame: Frame, local: Union[Verdict, Exception, None]) -> None:
        """A frame the local eyes have looked at: a flag raises the alarm at once; every `model_look_interval` the
        model looks too, for what they cannot see."""
        now = self._clock.monotonic()
        counts = isinstance(local, Verdict) and self.evidence.counts(local)
        self._local.add(frame, counts)
        self._local.answered(local)
        if isinstance(local, Verdict):
            self._engine.count("local_looks")
            self._engine.emit(LocalLooked(local, self._engine.state.value))
            if counts and self._local.may_alarm(now, local):
                series = self._local.series()
                self._begin_verification(local, series, quick=local)
                self._submit(Call.SERIES, series)  # the full series to the model, beside the verification
                return
            self._prefetch_while_a_change_begins(local, frame)
        if not self._calls and self._local.model_look_now(now, self._pace):
            self._frames = self._local.series()
            self._look_quickly(frame)

    def _prefetch_while_a_change_begins(self, local: Verdict, frame: Frame) -> None:
        """While the change eye waits for its looks in a row, the verification's frames are taken (dropped if the
        change does not last), as they are while a quick look is out: its alarm is then no slower to decide."""
        beginning = self._local.change_beginning(local, frame.captured_at)
        if beginning and self._round is None:
            self._prefetch(frame.captured_at)
        elif not beginning and self._round is not None and not self._round.alarmed and not self._calls:
            self._round = None  # the change eye's prefetch (a quick look's is the look's to drop)

    def _camera_recovered(self, frame: Frame) -> None:
        if self._engine.state != State.CAMERA_PROBLEM:
            return
        self._engine.camera_back(self._clock.monotonic())
        self._frames = [frame]  # a live frame: the first of the next series
        self._next_capture_at = frame.captured_at + self._config.interval_between_images

    # ----- verdicts -----

    def _submit(self, kind: Call, frames: list[Frame]) -> None:
        self._engine.count("calls")
        if kind == Call.SERIES:
            self._engine.count("series")
        self._calls.submit(kind, frames)

    def collect_verdicts(self) -> None:
        for answer in self._calls.answers():
            error = answer.error
            throttled = getattr(error, "throttled", False)
            if throttled:
                self._engine.count("throttled")
            if error is None and answer.verdict is not None:
                self._record(answer.verdict, answer.frames)
            elif self._calls.retry(answer, self._clock.monotonic()):
                continue  # made again after a short wait: not an error yet
            elif throttled and error is not None and answer.kind == Call.QUICK:
                self._pace.throttled(self._clock.monotonic())
                self._engine.throttled(error, self._pace.throttled_in_a_row)
            else:
                self._engine.count_error(f"model: {error}")
            self._handle(answer.kind, answer.verdict, answer.frames)

    def _handle(self, kind: Call, verdict: Optional[Verdict], frames: list[Frame]) -> None:
        alarm = verdict if verdict is not None and self.evidence.counts(verdict) else None
        state, verification = self._engine.state, self._round
        if state == State.WATCHING:
            if kind == Call.SERIES and alarm is not None:
                self._begin_verification(alarm, frames)
            elif kind == Call.SERIES and self._engine.test_run:
                self._engine.test_run_finished()
            elif kind == Call.QUICK and alarm is not None:
                series = self._local.series() if self._local_first() else list(self._frames)
                self._begin_verification(alarm, series, quick=alarm)
                self._submit(Call.SERIES, series)  # the full series call, beside the verification
            elif kind == Call.QUICK:
                self._round = None  # the prefetched frames are not needed
        elif state == State.VERIFYING and verification is not None and kind in (Call.SERIES, Call.VERIFY):
            if kind == Call.SERIES:
                verification.series_verdict(verdict)
                self._submit_verifications()  # those held for the series' verdict
            else:
                verification.add_result(verdict, frames)
            self._decide_verification()

    def _record(self, verdict: Verdict, frames: list[Frame]) -> None:
        recovered = self._pace.got_through(self._clock.monotonic())  # no longer "throttled"
        like = self.evidence.resembles(verdict) if verdict.print_failed else None
        self._engine.verdict_recorded(
            verdict.as_dict(), self.evidence.counts(verdict), like.incident if like else None, recovered
        )
        self._engine.emit(Analysed(verdict, tuple(frames), self._engine.state.value))

    def _begin_verification(self, trigger: Verdict, frames: list[Frame], quick: Optional[Verdict] = None) -> None:
        self._engine.count("detections")
        prefetched = self._round if quick is not None else None  # its frames were taken while the look was out
        verification = prefetched or VerificationRound(self._config, self._clock.monotonic(), self.evidence.counts)
        verification.raise_alarm(trigger, frames, quick)
        self._round = verification
        self._frames = []  # verification never reuses the frames that triggered it
        eye = LOCAL_EYES.get(trigger.source) or ("the model's quick look" if quick else "the model's series check")
        self._engine.alarm_raised(eye)
        self._submit_verifications()  # series prefetched while the quick look was out go at once
        self._engine.emit(FailureDetected(trigger))

    def _submit_verifications(self) -> None:
        verification = self._round
        if verification is None:
            return
        series = verification.complete_series() if verification.ready_to_analyse() else []
        for frames in series:
            self._submit(Call.VERIFY, frames)
        if series or not verification.shown:
            self._publish_progress()

    def _decide_verification(self) -> None:
        verification = self._round
        if verification is None:
            return
        self._publish_progress()
        confirmed = verification.decision()
        if confirmed is None:
            return
        now = self._clock.monotonic()
        self.end_run()  # verification calls still out are dropped: the round is decided
        decided = verification.decided(confirmed, now, test_run=self._engine.test_run)
        if confirmed:
            self._local.alarm_confirmed()
            self._engine.confirmed(decided.trigger.explanation)
        else:
            self._engine.count("rejected")
            self._local.alarm_rejected(now, verification.quick)
        self._engine.emit(decided)
        if self._engine.test_run:
            self._engine.test_run_finished()
        elif not confirmed:
            # after a rejected alarm the next look waits for a full series of new frames: a look-alike that stays
            # in view is not asked about at every frame
            self._engine.begin_watching(now, "watching (last alarm not confirmed)", at_once=False)

    def _publish_progress(self) -> None:
        if self._round is not None:
            self._round.shown = True
            self._engine.verification_progress(self._round.progress())

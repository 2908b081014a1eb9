"""The detection engine: a tick-driven state machine from frames to verdicts to a decision.

It knows nothing of OctoPrint, boto3 or HTTP. It is given a `capture()` that returns a Frame, an
`analyse(frames, quick)` that returns a Verdict, a clock, executors for the slow model calls and the
camera, and a sink for its typed events (`events.py`). Each `tick()` is short: it asks for the frames
that are due, hands full series to the model and collects what has come back, so stopping is instant
and verification runs in parallel. `run()` ticks it on a beat, and at once when a frame or an answer
arrives: the steps of a verification follow each other without waiting for the next beat.

The policy: a series of N frames spaced by the interval is analysed in one call; a failing series
starts a verification round (`verification.py`); a failing series and K of V failing verifications
confirm; a confirmed failure starts a cooldown without model calls; after `error_limit` consecutive
errors the engine waits `error_backoff_seconds`. With `quick_check` (default) every new frame is first
looked at alone with a short question; only a failing look sends the series, beside the verification
whose frames were already being taken while the look was out — the same evidence, sooner and cheaper.
A series or verification call refused for a passing reason is retried after a jittered wait
(`model_calls.py`); a quick look refused by the account's quota (throttled) is not an error of the
print's watch: the looks slow down instead, and speed up again as calls get through.
What counts as a failing verdict is `evidence.Evidence`'s call (sensitivity, dismissed look-alikes).
With an on-device detector ready, the detector takes the first look at every frame and the quick look
becomes a rarer safety net (`local_looks.py`).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Callable, Optional, Protocol, Union

from ..analysis.verdict import Verdict
from ..config import FailwatchConfig
from ..frame import CameraError, Frame
from ..sources.health import CameraHealth
from .events import (
    Analysed,
    CameraProblem,
    CameraRecovered,
    EngineEvent,
    FailureDetected,
    LocalLooked,
    MonitoringStopped,
    StatusChanged,
)
from .evidence import Evidence
from .frame_taker import FrameTaker, InlineExecutor, Purpose
from .local_looks import Detector, LocalLooks
from .model_calls import Call, Executor, ModelCalls
from .pacing import LookPace
from .status import State, Status
from .verification import VerificationRound

COOLDOWN_LOG_EVERY = 30.0  # while cooling down, the log says how long is left at most this often
# holds: states that end by themselves at a time, and what watching again is called then
HOLDS = {State.COOLDOWN: "watching again after cooldown", State.SNOOZED: "watching again",
         State.GRACE: "watching again", State.ERROR_BACKOFF: "watching again after errors"}
ACTIVE = (State.WATCHING, State.VERIFYING)
RELEASE_CAMERA_AFTER = 1.5  # no frame due within this many seconds: the camera's stream may close
BEAT_SECONDS = 0.1  # `run` ticks at least this often: a tick is a few checks under a lock, frequent ones cost nothing
INSTANT_FRAMES_PER_TICK = 8  # a camera that answers at once (simulated time) gives every frame due, in one tick


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def time(self) -> float: ...


class SystemClock:
    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)


Analyse = Callable[..., Verdict]  # analyse(frames, quick=False) -> Verdict, raises on errors
EventSink = Callable[[EngineEvent], None]


class Engine:
    """What time does to one print's watch: the tick, and everything it sets off. `Monitor` adds what the
    print and the user do. Thread-safe: `tick` runs on the thread in `run`, the rest on request threads."""

    def __init__(self, config: FailwatchConfig, capture: Callable[[], Frame], analyse: Analyse,
                 executor: Executor, on_event: EventSink, clock: Clock = SystemClock(),
                 logger: Optional[logging.Logger] = None, health: Optional[CameraHealth] = None,
                 gate: Callable[[], Optional[tuple[str, str]]] = lambda: None,
                 camera_executor: Optional[Executor] = None, rng: Optional[random.Random] = None,
                 start_spread: float = 0.0, detector: Optional[Detector] = None):
        self._config = config
        self._arrived = threading.Event()  # a frame or a model answer is there: `run` ticks at once
        self._camera = FrameTaker(capture, health or CameraHealth(config.frozen_seconds),
                                  camera_executor or InlineExecutor(), self._arrived.set)
        self._random = rng or random.Random()
        # the first look of a print comes at a random point of the first `start_spread` x interval, so that
        # the printers of a farm started together do not look (and call the model) in step
        self._start_spread = start_spread
        self._calls = ModelCalls(executor, analyse, self._random, self._arrived.set)
        self._evidence = Evidence(config.min_failure_confidence)
        self._on_event = on_event
        self._clock = clock
        self._logger = logger or logging.getLogger(__name__)
        self._gate = gate  # why not to analyse yet: (state, words), or None

        self._state_lock = threading.RLock()  # guards everything below
        self._state = State.IDLE
        self._frames: list[Frame] = []  # the newest regular frames: the next series
        self._next_capture_at = 0.0
        self._round: Optional[VerificationRound] = None  # a verification, or its prefetch during a quick look
        self._until = 0.0  # when the current hold ends
        self._next_cooldown_log = 0.0
        self._print_paused = False  # the print is paused: whatever ends, nothing is captured until it resumes
        self._camera_released = True  # told the camera no frame is due soon
        self._once = False
        self._pace = LookPace(self._random)  # the looks slow down while the account's quota is spent
        self._local = LocalLooks(config, detector)  # the on-device detector's first look, when it is ready
        self._detector_failing = False  # said once in the log, not at every frame
        self._status = Status()

    @property
    def state(self) -> State:
        return self._state

    def status(self) -> dict:
        with self._state_lock:
            return self._status.copy()

    # ----- the tick -----

    def run(self, stopping: threading.Event, beat: float, done: Callable[[], bool] = lambda: False) -> None:
        """Ticks every `beat` seconds, and at once when a frame or a model answer arrives, until `stopping` is
        set or `done()`."""
        while not stopping.is_set():
            self._arrived.clear()  # what arrives during the tick wakes the next one at once
            self.tick()
            if done():  # checked after the tick: the tick that finished it may be followed by no arrival
                return
            self._arrived.wait(beat)

    def tick(self) -> None:
        """Advances the engine; never raises (an exception here would stop the watch)."""
        try:
            with self._state_lock:
                self._collect_frame()
                self._collect_verdicts()
                now = self._clock.monotonic()
                self._advance(now)
                for _ in range(INSTANT_FRAMES_PER_TICK):  # a camera that answers at once is not a tick late
                    if not self._collect_frame():
                        break
                    self._advance(now)
        except Exception as exc:  # a bug must not stop monitoring: log it, count it, go on
            self._logger.exception("Failwatch tick failed")
            with self._state_lock:
                self._count_error(f"internal error: {exc}")

    def _advance(self, now: float) -> None:
        if self._state in (State.WARMING_UP, State.HEATING):
            if self._gate() is None:
                self._begin_watching_the_print(now)
        elif self._state in HOLDS and now >= self._until:
            if self._state == State.ERROR_BACKOFF:
                self._status.consecutive_errors = 0
            self._end_hold(now, HOLDS[self._state])
        elif self._state == State.COOLDOWN and now >= self._next_cooldown_log:
            self._next_cooldown_log = now + COOLDOWN_LOG_EVERY
            self._logger.info("Failwatch in cooldown, %.0f s left", self._until - now)
        retried = self._calls.resubmit_due(now)
        self._status.counters["calls"] += retried
        self._status.counters["retries"] += retried
        if self._camera.busy:
            return
        verification = self._round
        if self._state == State.CAMERA_PROBLEM and now >= self._next_capture_at:
            self._next_capture_at = now + self._config.interval_between_images
            self._request(Purpose.RECHECK)
        elif self._state == State.WATCHING and now >= self._next_capture_at and (self._quick_checks()
                                                                                  or not self._calls):
            # the regular frame first: frames taken during a quick look are a guess, it is not
            if self._local_first():
                self._next_capture_at = now + self._local.gap  # free looks: no pacing for the quota
                self._request(Purpose.LOOK, self._local.detector.look)
            else:
                self._next_capture_at = now + self._pace.next_gap(self._config.interval_between_images, now)
                self._request(Purpose.LOOK)
        elif self._state in ACTIVE and verification is not None and verification.due(now) and (
                verification.interleaved or not self._calls):
            self._request(Purpose.VERIFY)  # one after the other: a series waits for the previous verdict
        elif not self._camera_released and not self._frame_due_soon(now):
            self._camera_released = True
            self._camera.release()

    def _begin_watching_the_print(self, now: float) -> None:
        """Watching starts (or warm-up ends): the first look at a random point of the first `start_spread`
        intervals; Test now looks at once."""
        self._begin_watching(now, "watching")
        if not self._once:
            self._next_capture_at = now + self._random.uniform(
                0, self._start_spread * self._config.interval_between_images)
            self._local.model_look_in(now, self._random.uniform(
                0, self._start_spread * self._config.model_look_interval))

    def _request(self, purpose: Purpose, inspect=None) -> None:
        self._camera_released = False
        self._camera.request(purpose, inspect)

    def _frame_due_soon(self, now: float) -> bool:
        """Whether a frame will be asked for within RELEASE_CAMERA_AFTER (a stream worth keeping open)."""
        if self._state not in (*ACTIVE, State.CAMERA_PROBLEM):
            return False
        verification = self._round
        if verification is not None and not verification.all_captured():
            return True  # a verification, or the frames taken while a quick look is out
        return self._next_capture_at - now < RELEASE_CAMERA_AFTER

    # ----- frames -----

    def _collect_frame(self) -> bool:
        """Handles the frame asked for, if it is there; True if it was."""
        taken = self._camera.taken()
        if taken is None:
            return False
        if isinstance(taken.result, CameraError):
            self._camera_problem(taken.result.kind, str(taken.result))
        elif taken.purpose == Purpose.RECHECK:
            self._camera_recovered(taken.result)
        elif taken.purpose == Purpose.VERIFY and self._round is not None:
            self._round.add_frame(taken.result, self._clock.monotonic())
            if self._round.alarmed:
                self._submit_verifications()
        elif taken.purpose == Purpose.LOOK and self._state == State.WATCHING:
            self._regular_frame(taken.result, taken.local)
        return True

    def _regular_frame(self, frame: Frame, local: Union[Verdict, Exception, None] = None) -> None:
        wait = self._gate()
        if wait is not None:  # heating, first minutes of the print: nothing worth judging yet
            self._reset_series()
            self._set_state(State(wait[0]), wait[1], log=State(wait[0]) != self._state)
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
        if len(self._frames) == size and not self._calls:
            self._look_quickly(frame)

    def _look_quickly(self, frame: Frame) -> None:
        """The newest frame alone to the model; the verification's frames are taken while the look is out."""
        self._submit(Call.QUICK, [frame])
        if self._config.pipeline_verification and self._config.prefetch_verification:
            self._round = VerificationRound(self._config, frame.captured_at, self._evidence.counts)

    def _quick_checks(self) -> bool:
        return self._config.quick_check and not self._once  # Test now runs the full cycle

    def _local_first(self) -> bool:
        return self._quick_checks() and self._local.active

    def _locally_looked(self, frame: Frame, local: Union[Verdict, Exception, None]) -> None:
        """A frame the detector has looked at: a flagged one raises the alarm at once; every
        `model_look_interval` the model looks too, for what the detector cannot see."""
        now = self._clock.monotonic()
        counts = isinstance(local, Verdict) and self._evidence.counts(local)
        self._local.add(frame, counts)
        if isinstance(local, Verdict):
            self._detector_failing = False
            self._status.counters["local_looks"] += 1
            self._emit(LocalLooked(local, self._state.value))
            if counts and self._local.may_trigger(now) and self._local.enough_flagged():
                series = self._local.series()
                self._begin_verification(local, series, quick=local)
                self._submit(Call.SERIES, series)  # the full series to the model, beside the verification
                return
        elif local is not None and not self._detector_failing:  # said once; the model's looks go on meanwhile
            self._detector_failing = True
            self._logger.warning("Failwatch on-device detector failed, the model's looks go on: %s", local)
        if self._local.model_look_due(now) and not self._calls:
            # while the detector fails, the model looks at today's pace: the watch is no blinder than without it
            every = self._config.interval_between_images if self._detector_failing else self._config.model_look_interval
            self._local.model_look_in(now, self._pace.next_gap(every, now))
            self._frames = self._local.series()
            self._look_quickly(frame)

    def _camera_problem(self, kind: str, text: str) -> None:
        """No picture, a black one or a frozen one: nothing is analysed and nothing can be confirmed."""
        self._status.counters["errors"] += 1
        self._status.error = text
        if self._state == State.CAMERA_PROBLEM and self._status.camera_problem == kind:
            self._emit_status()
            return
        self._logger.warning("Failwatch camera problem (%s): %s", kind, text)
        self._end_run()  # a verification in progress is abandoned, not decided on a dead picture
        self._status.camera_problem = kind
        self._set_state(State.CAMERA_PROBLEM, text)
        self._emit(CameraProblem(kind, text))

    def _camera_recovered(self, frame: Frame) -> None:
        if self._state != State.CAMERA_PROBLEM:
            return
        self._logger.info("Failwatch: camera is back")
        self._status.camera_problem = None
        self._status.error = ""
        self._emit(CameraRecovered())
        now = self._clock.monotonic()
        self._begin_watching(now, "camera is back, watching")
        self._frames = [frame]  # a live frame: the first of the next series
        self._next_capture_at = frame.captured_at + self._config.interval_between_images

    # ----- verdicts -----

    def _submit(self, kind: Call, frames: list[Frame]) -> None:
        self._status.counters["calls"] += 1
        if kind == Call.SERIES:
            self._status.counters["series"] += 1
        self._calls.submit(kind, frames)

    def _collect_verdicts(self) -> None:
        for answer in self._calls.answers():
            error = answer.error
            throttled = getattr(error, "throttled", False)
            self._status.counters["throttled"] += throttled
            if error is None:
                self._record(answer.verdict, answer.frames)
            elif self._calls.retry(answer, self._clock.monotonic()):
                continue  # made again after a short wait: not an error yet
            elif throttled and answer.kind == Call.QUICK:
                self._throttled_look(error)
            else:
                self._count_error(f"model: {error}")
            self._handle(answer.kind, answer.verdict, answer.frames)

    def _handle(self, kind: Call, verdict: Optional[Verdict], frames: list[Frame]) -> None:
        failing = self._evidence.counts(verdict)
        if self._state == State.WATCHING:
            if kind == Call.SERIES and failing:
                self._begin_verification(verdict, frames)
            elif kind == Call.SERIES and self._once:
                self._finish_once()
            elif kind == Call.QUICK and failing:
                series = self._local.series() if self._local_first() else list(self._frames)
                self._begin_verification(verdict, series, quick=verdict)
                self._submit(Call.SERIES, series)  # the full series call, beside the verification
            elif kind == Call.QUICK:
                self._round = None  # the prefetched frames are not needed
        elif self._state == State.VERIFYING and kind in (Call.SERIES, Call.VERIFY):
            if kind == Call.SERIES:
                self._round.series_verdict(verdict)
                self._submit_verifications()  # those held for the series' verdict
            else:
                self._round.add_result(verdict, frames)
            self._decide_verification()

    def _record(self, verdict: Verdict, frames: list[Frame]) -> None:
        if (self._status.consecutive_errors or self._pace.throttled_in_a_row) and self._state == State.WATCHING:
            self._status.message = "watching"  # no longer "analysis failing" or "throttled"
        self._pace.got_through(self._clock.monotonic())
        like = self._evidence.resembles(verdict) if verdict.print_failed else None
        self._status.record_verdict(verdict.as_dict(), self._evidence.counts(verdict),
                                    like.incident if like else None, self._clock.time())
        self._emit(Analysed(verdict, tuple(frames), self._state.value))

    def _begin_verification(self, trigger: Verdict, frames: list[Frame], quick: Optional[Verdict] = None) -> None:
        now = self._clock.monotonic()
        self._status.counters["detections"] += 1
        verification = self._round if quick is not None and self._round is not None else \
            VerificationRound(self._config, now, self._evidence.counts)
        verification.raise_alarm(trigger, frames, quick)
        self._round = verification
        self._frames = []  # verification never reuses the frames that triggered it
        self._set_state(State.VERIFYING, "possible failure, verifying")
        self._submit_verifications()  # series prefetched while the quick look was out go at once
        self._emit(FailureDetected(trigger))

    def _submit_verifications(self) -> None:
        verification = self._round
        if not verification.ready_to_analyse():
            if self._status.verification is None:
                self._publish_progress()
            return
        series = verification.complete_series()
        for frames in series:
            self._submit(Call.VERIFY, frames)
        if series or self._status.verification is None:
            self._publish_progress()

    def _decide_verification(self) -> None:
        verification = self._round
        self._publish_progress()
        confirmed = verification.decision()
        if confirmed is None:
            return
        now = self._clock.monotonic()
        self._end_run()  # verification calls still out are dropped: the round is decided
        decided = verification.decided(confirmed, now, test_run=self._once)
        raised_by_detector = verification.quick is not None and verification.quick.source == "detector"
        if confirmed:
            self._local.alarm_confirmed()
            self._status.counters["confirmed"] += 1
            self._status.acknowledged = False
            self._hold(State.COOLDOWN, self._config.cooldown_seconds,
                       "FAILURE confirmed: " + decided.trigger.explanation)
        else:
            self._status.counters["rejected"] += 1
            if raised_by_detector:
                wait = self._local.alarm_rejected(now)
                self._logger.info("Failwatch: the on-device detector's alarm was not confirmed; its alarms wait %.0f s",
                                  wait)
        self._emit(decided)
        if self._once:
            self._finish_once()
        elif not confirmed:
            self._begin_watching(now, "watching (last alarm not confirmed)")

    def _publish_progress(self) -> None:
        self._status.verification = self._round.progress()
        self._emit_status()

    # ----- errors -----

    def _throttled_look(self, error: BaseException) -> None:
        """The account's quota refused a routine look: said, not counted towards the error backoff (a farm
        over its quota would otherwise stop watching, and alert, everywhere at once)."""
        self._pace.throttled(self._clock.monotonic())
        refused = self._pace.throttled_in_a_row
        self._status.error = f"model: {error}"
        if refused == 1 or refused % 30 == 0:
            self._logger.warning("Failwatch: the model's account quota refused %d look(s) in a row (throttled); "
                                 "looking less often until calls get through", refused)
        if self._state == State.WATCHING:
            self._status.message = f"watching, but the account's quota refused the last {refused} look(s) (throttled)"
        self._emit_status()

    def _count_error(self, text: str) -> None:
        in_a_row = self._status.count_error(text)
        self._logger.warning("Failwatch error (%d in a row): %s", in_a_row, text)
        if in_a_row >= self._config.error_limit and self._state in ACTIVE:
            backoff = self._config.error_backoff_seconds
            message = f"{in_a_row} errors in a row, waiting {backoff:.0f} s: {text}"
            self._hold(State.ERROR_BACKOFF, backoff, message)
            self._emit(MonitoringStopped(message, backoff))
            return
        if self._state == State.WATCHING:  # still watching, and saying why it is not seeing anything
            self._status.message = f"analysis failing ({in_a_row} in a row), retrying: {text}"
        self._emit_status()

    # ----- helpers -----

    def _hold(self, state: State, seconds: float, message: str) -> bool:
        """No captures or model calls for `seconds`; then watching again by itself."""
        with self._state_lock:
            if self._state in (State.IDLE, State.NOT_CONFIGURED, State.PAUSED):
                return False
            self._end_run()
            now = self._clock.monotonic()
            self._until = now + seconds
            self._next_cooldown_log = now
            self._status.until = self._clock.time() + seconds
            self._set_state(state, message, log=state != State.COOLDOWN)  # a confirmed failure is logged by
            return True  # whoever acts on it

    def _end_hold(self, now: float, message: str) -> None:
        if self._print_paused:  # nothing to watch until the print is resumed
            self._status.until = None
            self._set_state(State.PAUSED, "print paused: monitoring suspended")
        else:
            self._begin_watching(now, message)


    def _begin_watching(self, now: float, message: str) -> None:
        self._end_run()
        self._next_capture_at = now
        self._status.until = None
        self._set_state(State.WATCHING, message)

    def _finish_once(self) -> None:
        self._end_run()
        self._status.until = None
        self._set_state(State.IDLE, "test finished")

    def _reset_series(self) -> None:
        self._frames = []
        self._local.clear()
        self._round = None
        self._status.verification = None

    def _end_run(self) -> None:
        """Drops the series being built, the frame and the calls still out: whatever they say no longer counts."""
        self._calls.new_run()
        self._camera.forget()
        self._reset_series()

    def _set_state(self, state: State, message: str, log: bool = True) -> None:
        if log and (state != self._state or message != self._status.message):
            self._logger.info("Failwatch: %s", message)
        self._state = state
        self._status.state = state.value
        self._status.message = message
        self._emit_status()

    def _emit_status(self) -> None:
        self._emit(StatusChanged(self._status.copy()))

    def _emit(self, event: EngineEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # a broken alert edge must not break detection
            self._logger.exception("Failwatch event handler for %s failed", type(event).__name__)

"""The detection engine: a tick-driven state machine from frames to verdicts to a decision.

It knows nothing of OctoPrint, boto3 or HTTP. It is given a `capture()` that returns a Frame, an
`analyse(frames, quick)` that returns a Verdict, a clock, an executor for the slow model calls and a
sink for its typed events (`events.py`). Each `tick()` is short: it takes the frames that are due,
hands full series to the executor and collects finished verdicts, so stopping is instant and
verification can run in parallel.

The policy: a series of N frames spaced by the interval is analysed in one call; a positive starts a
verification round (`verification.py`); a positive series and K of V positive verifications confirm;
a confirmed failure starts a cooldown without model calls; after `error_limit` consecutive errors the
engine waits `error_backoff_seconds`. With `quick_check` (default) every new frame is first looked at
alone with a short question, and only a failing look sends the series — beside the verification, so
the failure is confirmed on the same evidence, sooner and for less.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional, Protocol

from .analysis.verdict import Verdict
from .camera_health import CameraHealth
from .config import FailwatchConfig
from .events import (
    Analysed,
    CameraProblem,
    CameraRecovered,
    EngineEvent,
    FailureDetected,
    MonitoringStopped,
    StatusChanged,
)
from .frame import Frame
from .model_calls import Executor, ModelCalls
from .status import State, Status
from .verification import VerificationRound

COOLDOWN_LOG_EVERY = 30.0  # while cooling down, the log says how long is left at most this often
# holds: states that end by themselves at a time, and what watching again is called then
HOLDS = {State.COOLDOWN: "watching again after cooldown", State.SNOOZED: "watching again",
         State.GRACE: "watching again", State.ERROR_BACKOFF: "watching again after errors"}


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def time(self) -> float: ...


class SystemClock:
    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)


Analyse = Callable[..., Verdict]  # analyse(frames, quick=False) -> Verdict, raises on errors
EventSink = Callable[[EngineEvent], None]


class Monitor:
    """One print's watcher. Thread-safe: `tick` runs on a timer, the rest on request threads."""

    def __init__(self, config: FailwatchConfig, capture: Callable[[], Frame], analyse: Analyse,
                 executor: Executor, on_event: EventSink, clock: Clock = SystemClock(),
                 logger: Optional[logging.Logger] = None, health: Optional[CameraHealth] = None,
                 gate: Callable[[], Optional[str]] = lambda: None):
        self._config = config
        self._capture = capture
        self._calls = ModelCalls(executor, analyse)
        self._on_event = on_event
        self._clock = clock
        self._logger = logger or logging.getLogger(__name__)
        self._health = health or CameraHealth(config.frozen_seconds)
        self._gate = gate  # a reason not to analyse yet (heating, warm-up), or None

        self._state_lock = threading.RLock()  # guards everything below
        self._state = State.IDLE
        self._frames: list[Frame] = []
        self._next_capture_at = 0.0
        self._round: Optional[VerificationRound] = None
        self._until = 0.0  # when the current hold ends
        self._next_cooldown_log = 0.0
        self._once = False
        self._status = Status()

    # ----- control (called from OctoPrint's event handlers or the API) -----

    def start(self, once: bool = False) -> None:
        """Starts (or resumes) watching; `once` runs a single cycle (Test now)."""
        with self._state_lock:
            not_ready = self._config.not_ready()
            if not_ready:
                self._set_state(State.NOT_CONFIGURED, not_ready)
                return
            if self._state == State.COOLDOWN and self._clock.monotonic() < self._until:
                return  # resumed after our own pause: the cooldown doubles as a grace period
            self._calls.new_run()
            self._once = once
            if self._status.watching_since is None:
                self._status.watching_since = self._clock.time()
            self._begin_watching(self._clock.monotonic(), "watching")

    def run_once(self, stopping: threading.Event, tick_seconds: float, limit: float) -> None:
        """One cycle (a series, and verification if it is positive), ticked until done."""
        self.start(once=True)
        deadline = self._clock.monotonic() + limit
        while self._state not in (State.IDLE, State.NOT_CONFIGURED) and self._clock.monotonic() < deadline:
            self.tick()
            if stopping.wait(tick_seconds):
                return

    def suspend(self) -> None:
        """The print is paused: no captures, no model calls, late verdicts dropped; a cooldown runs on."""
        with self._state_lock:
            if self._state == State.COOLDOWN:
                return
            self._end_run()
            self._set_state(State.PAUSED, "print paused: monitoring suspended")

    def stop(self) -> None:
        with self._state_lock:
            self._end_run()
            self._set_state(State.IDLE, "no print running")

    def snooze(self, seconds: float) -> None:
        """The user asked for quiet: no captures or model calls until the time is up."""
        self._hold(State.SNOOZED, seconds, f"snoozed for {seconds / 60:.0f} min")

    def grace(self, seconds: float) -> None:
        """After the user resumed a print: detection restarts only after `seconds` (not during a cooldown)."""
        with self._state_lock:
            if self._state != State.COOLDOWN and seconds > 0:
                self._hold(State.GRACE, seconds, f"print resumed: watching again in {seconds / 60:.1f} min")

    def _hold(self, state: State, seconds: float, message: str) -> None:
        """No captures or model calls for `seconds`; then watching again by itself."""
        with self._state_lock:
            if self._state in (State.IDLE, State.NOT_CONFIGURED, State.PAUSED):
                return
            self._end_run()
            now = self._clock.monotonic()
            self._until = now + seconds
            self._next_cooldown_log = now
            self._status.until = self._clock.time() + seconds
            self._set_state(state, message)

    def acknowledge(self) -> None:
        with self._state_lock:
            self._status.acknowledged = True
            self._emit_status()

    @property
    def state(self) -> State:
        return self._state

    def status(self) -> dict:
        with self._state_lock:
            return self._status.copy()

    # ----- the tick -----

    def tick(self) -> None:
        """Advances the engine; never raises (an exception here would kill OctoPrint's timer)."""
        try:
            with self._state_lock:
                self._collect_verdicts()
                self._advance(self._clock.monotonic())
        except Exception as exc:  # a bug must not stop monitoring: log it, count it, go on
            self._logger.exception("Failwatch tick failed")
            with self._state_lock:
                self._count_error(f"internal error: {exc}")

    def _advance(self, now: float) -> None:
        if self._state == State.WATCHING:
            self._capture_main(now)
        elif self._state == State.VERIFYING:
            self._capture_verification(now)
        elif self._state == State.WARMING_UP:
            self._warm_up(now)
        elif self._state == State.CAMERA_PROBLEM and now >= self._next_capture_at:
            self._recheck_camera(now)
        elif self._state in HOLDS and now >= self._until:
            if self._state == State.ERROR_BACKOFF:
                self._status.consecutive_errors = 0
            self._begin_watching(now, HOLDS[self._state])
        elif self._state == State.COOLDOWN and now >= self._next_cooldown_log:
            self._next_cooldown_log = now + COOLDOWN_LOG_EVERY
            self._logger.info("Failwatch in cooldown, %.0f s left", self._until - now)

    def _warm_up(self, now: float) -> None:
        reason = self._gate()
        if reason is None:
            self._begin_watching(now, "watching")
        elif reason != self._status.message:
            self._set_state(State.WARMING_UP, reason)

    def _capture_main(self, now: float) -> None:
        quick = self._quick_checks()
        if (self._calls and not quick) or now < self._next_capture_at:
            return  # one full series at a time: the next starts once the last verdict is in
        reason = self._gate()
        if reason is not None:  # heating, first minutes of the print: nothing worth judging yet
            self._reset_series()
            self._set_state(State.WARMING_UP, reason)
            return
        frame = self._take_frame(now, self._config.interval_between_images)
        if frame is None:
            return
        self._frames.append(frame)
        size = self._config.images_per_series
        if quick:  # the newest N frames are kept for the series check; the newest alone is looked at
            self._frames = self._frames[-size:]
            if len(self._frames) == size and not self._calls:
                self._submit("quick", [frame])
        elif len(self._frames) >= size:
            self._submit("main", self._frames)
            self._frames = []

    def _quick_checks(self) -> bool:
        return self._config.quick_check and not self._once  # Test now runs the full cycle

    def _capture_verification(self, now: float) -> None:
        verification = self._round
        if verification.all_captured() or now < self._next_capture_at:
            return
        if not verification.interleaved and self._calls:
            return  # one after the other: each series waits for the previous verdict
        frame = self._take_frame(now, verification.capture_interval())
        if frame is None:
            return
        series = verification.add_frame(frame)
        if series is not None:
            self._submit("verify", series)
            self._publish_progress()

    def _take_frame(self, now: float, interval: float) -> Optional[Frame]:
        """A frame fit for the model, or None after reporting why the camera gave none."""
        self._next_capture_at = now + interval
        try:
            frame = self._capture()
        except Exception as exc:
            self._camera_problem("unreachable", f"camera: {exc}")
            return None
        problem = self._health.check(frame.jpeg, frame.captured_at)
        if problem:
            self._camera_problem(*problem)
            return None
        return frame

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

    def _recheck_camera(self, now: float) -> None:
        frame = self._take_frame(now, self._config.interval_between_images)
        if frame is None:
            return
        self._logger.info("Failwatch: camera is back")
        self._status.camera_problem = None
        self._status.error = ""
        self._emit(CameraRecovered())
        self._begin_watching(now, "camera is back, watching")
        self._frames = [frame]  # a live frame: the first of the next series
        self._next_capture_at = now + self._config.interval_between_images

    def _submit(self, kind: str, frames: list[Frame]) -> None:
        self._status.counters["calls"] += 1
        if kind == "main":
            self._status.counters["series"] += 1
        self._calls.submit(kind, frames)

    # ----- verdicts -----

    def _collect_verdicts(self) -> None:
        for answer in self._calls.answers():
            if answer.error is not None:
                self._count_error(f"model: {answer.error}")
            else:
                self._record(answer.verdict, answer.frames)
            self._handle(answer.kind, answer.verdict, answer.frames)

    def _handle(self, kind: str, verdict: Optional[Verdict], frames: list[Frame]) -> None:
        positive = verdict is not None and verdict.print_failed
        if self._state == State.WATCHING:
            if kind == "main" and positive:
                self._begin_verification(verdict, frames)
            elif kind == "main" and self._once:
                self._finish_once()
            elif kind == "quick" and positive:
                series = list(self._frames)
                self._begin_verification(verdict, series, quick=verdict)
                self._submit("main", series)  # the full series call, beside the verification
        elif self._state == State.VERIFYING and kind in ("main", "verify"):
            if kind == "main":
                self._round.series_verdict(verdict)
            else:
                self._round.add_result(verdict, frames)
            self._decide_verification()

    def _record(self, verdict: Verdict, frames: list[Frame]) -> None:
        status = self._status
        status.consecutive_errors = 0
        status.error = ""
        status.last_verdict = verdict.as_dict()
        status.last_check = self._clock.time()
        status.counters["input_tokens"] += verdict.input_tokens
        status.counters["output_tokens"] += verdict.output_tokens
        status.counters["cost_usd"] += verdict.cost_usd
        self._emit(Analysed(verdict, tuple(frames), self._state.value))

    def _begin_verification(self, trigger: Verdict, frames: list[Frame], quick: Optional[Verdict] = None) -> None:
        now = self._clock.monotonic()
        self._status.counters["detections"] += 1
        self._round = VerificationRound(self._config, trigger, frames, now, quick)
        self._frames = []  # verification never reuses the frames that triggered it
        self._next_capture_at = now
        self._set_state(State.VERIFYING, "possible failure, verifying")
        self._publish_progress()
        self._emit(FailureDetected(trigger))

    def _decide_verification(self) -> None:
        verification = self._round
        self._publish_progress()
        confirmed = verification.decision()
        if confirmed is None:
            return
        now = self._clock.monotonic()
        self._end_run()  # verification calls still out are dropped: the round is decided
        decided = verification.decided(confirmed, now, test_run=self._once)
        if confirmed:
            self._status.counters["confirmed"] += 1
            self._status.acknowledged = False
            self._hold(State.COOLDOWN, self._config.cooldown_seconds,
                       "FAILURE confirmed: " + decided.trigger.explanation)
        else:
            self._status.counters["rejected"] += 1
        self._emit(decided)
        if self._once:
            self._finish_once()
        elif not confirmed:
            self._begin_watching(now, "watching (last alarm not confirmed)")

    def _publish_progress(self) -> None:
        self._status.verification = self._round.progress()
        self._emit_status()

    # ----- errors -----

    def _count_error(self, text: str) -> None:
        status = self._status
        status.error = text
        status.consecutive_errors += 1
        status.counters["errors"] += 1
        self._logger.warning("Failwatch error (%d in a row): %s", status.consecutive_errors, text)
        if status.consecutive_errors >= self._config.error_limit and self._state in (State.WATCHING,
                                                                                    State.VERIFYING):
            backoff = self._config.error_backoff_seconds
            message = f"{status.consecutive_errors} errors in a row, waiting {backoff:.0f} s: {text}"
            self._hold(State.ERROR_BACKOFF, backoff, message)
            self._emit(MonitoringStopped(message, backoff))
        else:
            self._emit_status()

    # ----- helpers -----

    def _begin_watching(self, now: float, message: str) -> None:
        self._reset_series()
        self._next_capture_at = now
        self._status.until = None
        self._set_state(State.WATCHING, message)

    def _finish_once(self) -> None:
        self._end_run()
        self._status.until = None
        self._set_state(State.IDLE, "test finished")

    def _reset_series(self) -> None:
        self._frames = []
        self._round = None
        self._status.verification = None

    def _end_run(self) -> None:
        """Drops the series being built and the calls still out: whatever they say no longer counts."""
        self._calls.new_run()
        self._reset_series()

    def _set_state(self, state: State, message: str) -> None:
        if state != self._state or message != self._status.message:
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

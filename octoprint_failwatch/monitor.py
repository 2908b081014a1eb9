"""The detection engine: series, verification, cooldown and error backoff as a tick-driven state machine.

It knows nothing of OctoPrint, boto3 or HTTP. It is given a `capture()` that returns a Frame, an
`analyse(frames)` that returns a Verdict, a clock, an executor for the slow model calls and a sink
for events. Each `tick()` is short: it takes the frames that are due, hands full series to the
executor and collects finished verdicts, so stopping is instant and verification can be pipelined.

The seed's policy: a series of N frames spaced by the interval is analysed in one call; a positive
starts V verification series at the short interval; a positive series and K positive verifications
confirm; a confirmed failure starts a cooldown without model calls; after `error_limit` consecutive
errors the engine waits `error_backoff_seconds`.
Two defaults make it faster and cheaper without weakening that decision:
- `quick_check`: every new frame is looked at alone with a short question (1 image instead of N, so a
  failure is seen at the next frame, not the next full series). Only a failing look leads to the
  seed's series call (the newest N frames) and, at the same time, the verification: the failure is
  confirmed on exactly the seed's evidence — a positive series and K of V positive verifications.
- `pipeline_verification`: the verification series are captured interleaved — each with the seed's
  spacing between its own frames, never the trigger's frames — so they complete together and are
  analysed in parallel; verification stops as soon as it is decided.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from typing import Any, Callable, Optional, Protocol, Sequence

from .camera_health import CameraHealth
from .config import FailwatchConfig
from .detector import Verdict
from .frame import Frame

COOLDOWN_LOG_EVERY = 30.0  # seed S4: status at most every 30 s while cooling down


class State(str, Enum):
    IDLE = "idle"
    NOT_CONFIGURED = "not_configured"
    WATCHING = "watching"
    VERIFYING = "verifying"
    COOLDOWN = "cooldown"
    ERROR_BACKOFF = "error_backoff"
    PAUSED = "paused"
    SNOOZED = "snoozed"
    CAMERA_PROBLEM = "camera_problem"
    WARMING_UP = "warming_up"
    GRACE = "grace"


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def time(self) -> float: ...


class SystemClock:
    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)


class Executor(Protocol):
    def submit(self, fn: Callable[..., Any], *args: Any) -> Future: ...


@dataclass
class Verification:
    """The verification round started by one positive series."""

    trigger: Verdict
    trigger_frames: list[Frame]
    started_at: float
    series_captured: int = 0
    results: list[Optional[Verdict]] = field(default_factory=list)  # None = analysis error
    frames: list[list[Frame]] = field(default_factory=list)  # the series behind each result
    frames_taken: int = 0
    buckets: list[list[Frame]] = field(default_factory=list)  # interleaved series being filled
    series_check: Optional[bool] = True  # the seed's series verdict; None while a quick check's is pending
    quick: Optional[Verdict] = None  # the quick look that started it, if any

    @property
    def positives(self) -> int:
        return sum(1 for v in self.results if v is not None and v.print_failed)


@dataclass
class Status:
    """What the UI, the API and MQTT show; plain data, copied out under the engine's lock."""

    state: str = State.IDLE.value
    message: str = ""
    last_verdict: Optional[dict] = None
    last_check: Optional[float] = None
    cooldown_until: Optional[float] = None
    backoff_until: Optional[float] = None
    snoozed_until: Optional[float] = None
    acknowledged: bool = True
    watching_since: Optional[float] = None  # wall time of the first start, for cost per print-hour
    error: str = ""
    camera_problem: Optional[str] = None  # unreachable | black | uniform | frozen
    consecutive_errors: int = 0
    verification: Optional[dict] = None
    counters: dict = field(
        default_factory=lambda: {
            "series": 0,
            "calls": 0,
            "errors": 0,
            "detections": 0,
            "confirmed": 0,
            "rejected": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "cost_usd": 0.0,
        }
    )


EventSink = Callable[[str, dict], None]


class Monitor:
    """One print's watcher. Thread-safe: `tick` runs on a timer, the rest on request threads."""

    def __init__(
        self,
        config: FailwatchConfig,
        capture: Callable[[], Frame],
        analyse: Callable[[Sequence[Frame]], Verdict],
        executor: Executor,
        on_event: EventSink,
        clock: Clock = SystemClock(),
        logger: Optional[logging.Logger] = None,
        health: Optional[CameraHealth] = None,
        gate: Callable[[], Optional[str]] = lambda: None,
    ):
        self._config = config
        self._capture = capture
        self._analyse = analyse
        self._executor = executor
        self._on_event = on_event
        self._clock = clock
        self._logger = logger or logging.getLogger(__name__)
        self._health = health or CameraHealth(config.frozen_seconds)
        self._gate = gate  # a reason not to analyse yet (heating, warm-up), or None

        self._state_lock = threading.RLock()  # guards everything below
        self._state = State.IDLE
        self._generation = 0  # bumped on start/stop so late verdicts of an old run are dropped
        self._frames: list[Frame] = []
        self._next_capture_at = 0.0
        self._in_flight: list[tuple[int, str, Future, list[Frame]]] = []
        self._verification: Optional[Verification] = None
        self._until = 0.0  # end of cooldown or error backoff
        self._next_cooldown_log = 0.0
        self._once = False
        self._status = Status()

    # ----- control (called from OctoPrint's event handlers or the API) -----

    def start(self, once: bool = False) -> None:
        """Starts (or resumes) watching; `once` runs a single cycle (seed test mode)."""
        with self._state_lock:
            missing = self._config.missing_for_monitoring()
            if missing:
                self._set_state(State.NOT_CONFIGURED, "not configured: set the " + ", ".join(missing))
                return
            if self._state == State.COOLDOWN and self._clock.monotonic() < self._until:
                return  # resumed after our own pause: the cooldown doubles as a grace period
            self._generation += 1
            self._once = once
            if self._status.watching_since is None:
                self._status.watching_since = self._clock.time()
            self._begin_watching(self._clock.monotonic(), "watching")

    def run_once(self, stopping: threading.Event, tick_seconds: float, limit: float) -> None:
        """Seed test mode: one cycle (a series, and verification if it is positive), ticked until done."""
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
            self._generation += 1
            self._reset_series()
            self._set_state(State.PAUSED, "print paused: monitoring suspended")

    def stop(self) -> None:
        with self._state_lock:
            self._generation += 1
            self._reset_series()
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
        with self._state_lock:
            if self._state in (State.IDLE, State.NOT_CONFIGURED, State.PAUSED):
                return
            self._generation += 1
            self._reset_series()
            self._until = self._clock.monotonic() + seconds
            self._status.snoozed_until = self._clock.time() + seconds
            self._status.cooldown_until = None
            self._set_state(state, message)

    def acknowledge(self) -> None:
        with self._state_lock:
            self._status.acknowledged = True
            self._emit("status", {})

    @property
    def state(self) -> State:
        return self._state

    @staticmethod
    def idle_status() -> dict:
        return vars(Status(message="no print running"))

    def status(self) -> dict:
        with self._state_lock:
            status = Status(**vars(self._status))
            status.counters = dict(self._status.counters)
            return vars(status)

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
        elif self._state == State.COOLDOWN:
            self._cool_down(now)
        elif self._state in (State.SNOOZED, State.GRACE) and now >= self._until:
            self._status.snoozed_until = None
            self._begin_watching(now, "watching again")
        elif self._state == State.WARMING_UP:
            self._warm_up(now)
        elif self._state == State.CAMERA_PROBLEM and now >= self._next_capture_at:
            self._recheck_camera(now)
        elif self._state == State.ERROR_BACKOFF and now >= self._until:
            self._logger.info("Failwatch error backoff over, monitoring again")
            self._status.consecutive_errors = 0
            self._begin_watching(now, "watching again after errors")

    def _warm_up(self, now: float) -> None:
        reason = self._gate()
        if reason is None:
            self._begin_watching(now, "watching")
        elif reason != self._status.message:
            self._set_state(State.WARMING_UP, reason)

    def _capture_main(self, now: float) -> None:
        quick = self._quick_checks()
        if (self._in_flight and not quick) or now < self._next_capture_at:
            return  # seed: the next series starts once the last verdict is in
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
            if len(self._frames) == size and not self._in_flight:
                self._submit("quick", [frame])
        elif len(self._frames) >= size:
            self._submit("main", self._frames)
            self._frames = []

    def _quick_checks(self) -> bool:
        return self._config.quick_check and not self._once  # Test now runs the seed's full cycle

    def _capture_verification(self, now: float) -> None:
        verification = self._verification
        config = self._config
        if verification.series_captured >= config.verification_series or now < self._next_capture_at:
            return
        if not config.pipeline_verification:  # the seed's way: one series after the other, each analysed
            if self._in_flight:
                return
            frame = self._take_frame(now, config.verification_interval)
            if frame is not None:
                self._frames.append(frame)
                if len(self._frames) >= config.images_per_series:
                    self._submit_verification(self._frames)
                    self._frames = []
            return
        # interleaved: the V series are captured side by side, each keeping the seed's spacing between its
        # own frames, so all of them are complete after one series' time and analysed in parallel
        frame = self._take_frame(now, config.verification_interval / config.verification_series)
        if frame is None:
            return
        if not verification.buckets:
            verification.buckets = [[] for _ in range(config.verification_series)]
        bucket = verification.buckets[verification.frames_taken % config.verification_series]
        verification.frames_taken += 1
        bucket.append(frame)
        if len(bucket) >= config.images_per_series:
            self._submit_verification(bucket)

    def _submit_verification(self, frames: list[Frame]) -> None:
        self._verification.series_captured += 1
        self._submit("verify", frames)
        self._publish_verification()

    def _cool_down(self, now: float) -> None:
        if now >= self._until:
            self._logger.info("Failwatch cooldown ended, monitoring again")
            self._status.cooldown_until = None
            self._begin_watching(now, "watching again after cooldown")
        elif now >= self._next_cooldown_log:
            self._next_cooldown_log = now + COOLDOWN_LOG_EVERY
            self._logger.info("Failwatch in cooldown, %.0f s left", self._until - now)

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
            self._emit("status", {})
            return
        self._logger.warning("Failwatch camera problem (%s): %s", kind, text)
        self._generation += 1  # a verification in progress is abandoned, not decided on a dead picture
        self._reset_series()
        self._status.camera_problem = kind
        self._set_state(State.CAMERA_PROBLEM, text)
        self._emit("camera_problem", {"kind": kind, "text": text})

    def _recheck_camera(self, now: float) -> None:
        frame = self._take_frame(now, self._config.interval_between_images)
        if frame is None:
            return
        self._logger.info("Failwatch: camera is back")
        self._status.camera_problem = None
        self._status.error = ""
        self._emit("camera_ok", {})
        self._begin_watching(now, "camera is back, watching")
        self._frames = [frame]  # a live frame: the first of the next series
        self._next_capture_at = now + self._config.interval_between_images

    def _submit(self, kind: str, frames: list[Frame]) -> None:
        self._status.counters["calls"] += 1
        if kind == "main":
            self._status.counters["series"] += 1
        series = list(frames)
        analyse = partial(self._analyse, quick=True) if kind == "quick" else self._analyse
        self._in_flight.append((self._generation, kind, self._executor.submit(analyse, series), series))

    # ----- verdicts -----

    def _collect_verdicts(self) -> None:
        finished = [item for item in self._in_flight if item[2].done()]
        self._in_flight = [item for item in self._in_flight if not item[2].done()]
        for generation, kind, future, frames in finished:
            if generation != self._generation:
                continue  # from a run that was stopped, paused or decided meanwhile
            error = future.exception()
            self._handle(kind, None if error else future.result(), error, frames)

    def _handle(self, kind: str, verdict: Optional[Verdict], error: Optional[BaseException],
                frames: list[Frame]) -> None:
        if error is not None:
            self._count_error(f"model: {error}")
        else:
            self._record(verdict, frames)
        if kind == "main" and self._state == State.WATCHING:
            if verdict is not None and verdict.print_failed:
                self._begin_verification(verdict, frames)
            elif self._once:
                self._finish_once()
        elif kind == "quick" and self._state == State.WATCHING:
            if verdict is not None and verdict.print_failed:
                series = list(self._frames)
                self._begin_verification(verdict, series, quick=True)
                self._submit("main", series)  # the seed's series call, beside the verification
        elif kind == "main" and self._state == State.VERIFYING:
            verification = self._verification
            verification.series_check = verdict is not None and verdict.print_failed
            if verification.series_check:
                verification.trigger = verdict  # the full answer, with its explanation, names the failure
            self._decide_verification()
        elif kind == "verify" and self._state == State.VERIFYING:
            self._verification.results.append(verdict)
            self._verification.frames.append(frames)
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
        self._emit("analysis", {"verdict": verdict.as_dict(), "state": self._state.value, "frames": frames})

    def _begin_verification(self, trigger: Verdict, frames: list[Frame], quick: bool = False) -> None:
        now = self._clock.monotonic()
        self._status.counters["detections"] += 1
        self._verification = Verification(trigger=trigger, trigger_frames=frames, started_at=now,
                                          series_check=None if quick else True, quick=trigger if quick else None)
        self._frames = []  # verification never reuses the frames that triggered it
        self._next_capture_at = now
        self._set_state(State.VERIFYING, "possible failure, verifying")
        self._publish_verification()
        self._emit("failure_detected", {"verdict": trigger.as_dict()})

    def _decide_verification(self) -> None:
        verification = self._verification
        config = self._config
        done = len(verification.results)
        positives = verification.positives
        self._publish_verification()
        confirmed = positives >= config.verification_required and verification.series_check is True
        unreachable = (verification.series_check is False
                       or positives + (config.verification_series - done) < config.verification_required)
        if not (confirmed or unreachable):
            return
        verdicts = [v.as_dict() for v in verification.results if v is not None]
        self._generation += 1  # drop verification calls still in flight: the round is decided
        self._frames = []
        self._verification = None
        self._status.verification = None
        payload = {
            "trigger": verification.trigger.as_dict(),
            "quick": verification.quick.as_dict() if verification.quick else None,
            "series_check": verification.series_check,
            "verdicts": verdicts,
            "results": [v.as_dict() if v is not None else None for v in verification.results],
            "positives": positives,
            "required": config.verification_required,
            "series": config.verification_series,
            "seconds": self._clock.monotonic() - verification.started_at,
            # Frame objects, for the incident history; the plugin removes them before firing events
            "frames": {"trigger": verification.trigger_frames, "verification": verification.frames},
        }
        if confirmed:
            self._status.counters["confirmed"] += 1
            self._status.acknowledged = False
            now = self._clock.monotonic()
            self._until = now + config.cooldown_seconds
            self._next_cooldown_log = now
            self._status.cooldown_until = self._clock.time() + config.cooldown_seconds
            self._set_state(State.COOLDOWN, "FAILURE confirmed: " + verification.trigger.explanation)
            self._emit("failure_confirmed", payload)
            if self._once:
                self._finish_once()
        else:
            self._status.counters["rejected"] += 1
            self._emit("verification_rejected", payload)
            if self._once:
                self._finish_once()
            else:
                self._begin_watching(self._clock.monotonic(), "watching (last alarm not confirmed)")

    def _publish_verification(self) -> None:
        verification = self._verification
        self._status.verification = {
            "done": len(verification.results),
            "captured": verification.series_captured,
            "positives": verification.positives,
            "required": self._config.verification_required,
            "series": self._config.verification_series,
            "series_check": verification.series_check,
        }
        self._emit("status", {})

    # ----- errors -----

    def _count_error(self, text: str) -> None:
        status = self._status
        status.error = text
        status.consecutive_errors += 1
        status.counters["errors"] += 1
        self._logger.warning("Failwatch error (%d in a row): %s", status.consecutive_errors, text)
        if status.consecutive_errors >= self._config.error_limit and self._state in (
            State.WATCHING,
            State.VERIFYING,
        ):
            self._generation += 1
            self._reset_series()
            backoff = self._config.error_backoff_seconds
            self._until = self._clock.monotonic() + backoff
            self._status.backoff_until = self._clock.time() + backoff
            message = f"{status.consecutive_errors} errors in a row, waiting {backoff:.0f} s: {text}"
            self._set_state(State.ERROR_BACKOFF, message)
            self._emit("monitoring_stopped", {"text": message, "seconds": backoff})
        else:
            self._emit("status", {})

    # ----- helpers -----

    def _begin_watching(self, now: float, message: str) -> None:
        self._reset_series()
        self._next_capture_at = now
        self._status.backoff_until = None
        self._set_state(State.WATCHING, message)

    def _finish_once(self) -> None:
        self._generation += 1
        self._reset_series()
        self._status.cooldown_until = None
        self._set_state(State.IDLE, "test finished")

    def _reset_series(self) -> None:
        self._frames = []
        self._verification = None
        self._status.verification = None
        self._in_flight = [item for item in self._in_flight if item[0] == self._generation]

    def _set_state(self, state: State, message: str) -> None:
        if state != self._state or message != self._status.message:
            self._logger.info("Failwatch: %s", message)
        self._state = state
        self._status.state = state.value
        self._status.message = message
        self._emit("status", {})

    def _emit(self, name: str, payload: dict) -> None:
        try:
            self._on_event(name, payload)
        except Exception:  # a broken alert edge must not break detection
            self._logger.exception("Failwatch event handler for %s failed", name)

"""The detection engine: one print's watch, a tick-driven state machine from frames to a decision.

It knows nothing of OctoPrint, boto3 or HTTP. It is given its `parts.EngineParts` — a `capture()` that returns
a Frame, an `analyse(frames, quick)` that returns a Verdict, a clock, executors for the slow model calls and the
camera, the gate, the detector — and a sink for its typed events (`events.py`). `Engine` is the watch's state
and what changes it: what the print and the user do (start, suspend, snooze, resume, Not a failure, new
settings) and the holds that end by themselves (a cooldown after a confirmed failure, a snooze, the grace after
a resume, the wait after `error_limit` errors in a row). What happens between frames and the decision — series,
quick looks, verification — is `detection.Detection`'s, which reports back through the engine's `Lifecycle`
methods: the engine is the one owner of the state and the `Status`.

Each `tick()` is short: it collects the frame and the answers that came back, ends a hold that is over and
asks for what is due, so stopping is instant and verification runs in parallel. `run()` ticks on a beat,
and at once when a frame or an answer arrives.
"""

from __future__ import annotations

import threading
from typing import Callable, Optional

from ..config import FailwatchConfig
from ..frame import Frame
from .detection import ACTIVE, Detection
from .events import CameraProblem, CameraRecovered, EngineEvent, MonitoringStopped, StatusChanged
from .evidence import LookAlike
from .parts import Analyse, Clock, EngineParts, SystemClock
from .status import HOLDS, State, Status, can_resume, can_snooze

COOLDOWN_LOG_EVERY = 30.0  # while cooling down, the log says how long is left at most this often
BEAT_SECONDS = 0.1  # `run` ticks at least this often: a tick is a few checks under a lock, frequent ones cost nothing
INSTANT_FRAMES_PER_TICK = 8  # a camera that answers at once (simulated time) gives every frame due, in one tick

__all__ = ["BEAT_SECONDS", "Analyse", "Clock", "Engine", "EngineParts", "EventSink", "SystemClock"]


EventSink = Callable[[EngineEvent], None]


class Engine:
    """One print's watch. Thread-safe: `tick` runs on the thread in `run`, the controls on request threads."""

    def __init__(self, config: FailwatchConfig, parts: EngineParts, on_event: EventSink):
        self._config = config
        self._on_event = on_event
        self._clock = parts.clock
        self._logger = parts.logger
        self._gate = parts.gate  # why not to analyse yet (heating, the first minutes): (state, words), or None
        self._state_lock = threading.RLock()  # guards the state below and the detection's
        self._state = State.IDLE
        self._status = Status()  # what the pages show; only the engine writes it, copied out under the lock
        self._test_run = False  # a single cycle (Test now), then idle
        self._until = 0.0  # when the current hold ends
        self._next_cooldown_log = 0.0
        self._print_paused = False  # the print is paused: whatever ends, nothing is captured until it resumes
        self._detection = Detection(config, parts, lifecycle=self)
        self.detector = parts.detector  # the print's on-device detector, kept when the model settings change

    @property
    def state(self) -> State:
        return self._state

    @property
    def test_run(self) -> bool:
        return self._test_run

    def status(self) -> dict:
        with self._state_lock:
            return self._status.copy()

    # ----- what the print and the user do (OctoPrint's event handlers, the API, the daemon) -----

    def start(self, test_run: bool = False, resumed: bool = False) -> None:
        """Starts watching; `test_run` runs a single cycle (Test now). `resumed`: the same print goes on (after a
        pause): the watch goes on as it was — the series so far kept, the next frame on its schedule, no start
        spread (that is for a farm's prints starting together)."""
        with self._state_lock:
            self._print_paused = False
            if self._config.not_ready():
                self.set_state(State.NOT_CONFIGURED, self._config.not_ready())
                return
            if self._state == State.COOLDOWN and self._clock.monotonic() < self._until:
                return  # resumed after our own pause: the cooldown doubles as a grace period
            self._test_run = test_run
            if self._status.watching_since is None:
                self._status.watching_since = self._clock.time()
            if resumed and not test_run and self._state == State.PAUSED:
                self._detection.resume(self._clock.monotonic())
                self.set_state(State.WATCHING, "watching")
                return
            self._begin_watching_the_print(self._clock.monotonic())

    def run_test(self, stopping: threading.Event, tick_seconds: float, limit: float) -> None:
        """A test run: one cycle (a series, and verification if it is positive), ticked until done."""
        self.start(test_run=True)
        deadline, over = self._clock.monotonic() + limit, (State.IDLE, State.NOT_CONFIGURED)
        self.run(stopping, tick_seconds, lambda: self._state in over or self._clock.monotonic() >= deadline)

    def suspend(self) -> None:
        """The print is paused: no captures, no model calls, late verdicts dropped; a cooldown runs on."""
        with self._state_lock:
            self._print_paused = True
            if self._state != State.COOLDOWN:
                self._detection.end_run(keep_frames=True)
                self.set_state(State.PAUSED, "print paused: monitoring suspended")

    def stop(self) -> None:
        with self._state_lock:
            self._detection.end_run()
            self.set_state(State.IDLE, "no print running")

    def snooze(self, seconds: float) -> bool:
        """The user asked for quiet: no captures or model calls until the time is up; False when there is
        nothing to snooze (no print watched, or a snooze or cooldown already running)."""
        with self._state_lock:
            if not can_snooze(self._state):
                return False
            return self._hold(State.SNOOZED, seconds, f"snoozed for {seconds / 60:.0f} min")

    def grace(self, seconds: float, reason: str = "print resumed") -> None:
        """After the user resumed a print (or said an alarm was not a failure): detection restarts only after
        `seconds` (not during a cooldown). The message names no figure: the time left is the status's `until`,
        which the pages count down."""
        with self._state_lock:
            if self._state != State.COOLDOWN and seconds > 0:
                self._hold(State.GRACE, seconds, f"{reason}: watching again when the grace period ends")

    def resume_watching(self) -> bool:
        """Ends a snooze, a cooldown, a grace period or an error backoff now; False when none is running."""
        with self._state_lock:
            if not can_resume(self._state):
                return False
            self._status.acknowledged = True
            self._status.consecutive_errors = 0
            self._end_hold(self._clock.monotonic(), "watching again (resumed by you)")
            return True

    def dismiss(self, look_alike: LookAlike, grace_seconds: float) -> None:
        """'Not a failure': its look-alike no longer counts in this print, and the cooldown it started ends
        (watching again after the grace period, or once the print is resumed)."""
        with self._state_lock:
            self._detection.evidence.dismiss(look_alike)
            self._status.acknowledged = True
            if self._state == State.COOLDOWN:
                self._end_hold(self._clock.monotonic(), "watching again: not a failure")
                if self._state == State.WATCHING and grace_seconds > 0:
                    self.grace(grace_seconds, "not a failure")

    def withdraw_dismissal(self, incident: str) -> None:
        """The user changed their mind: that incident's look-alike counts as a failure again."""
        with self._state_lock:
            self._detection.evidence.withdraw(incident)

    def acknowledge(self) -> None:
        with self._state_lock:
            self._status.acknowledge()
            self.emit_status()

    def reconfigure(
        self, config: FailwatchConfig, capture: Optional[Callable[[], Frame]] = None, analyse: Optional[Analyse] = None
    ) -> None:
        """New settings without losing the state (a snooze, a cooldown, a failure, a verification under way)."""
        with self._state_lock:
            self._config = config
            self._detection.reconfigure(config, capture, analyse)

    # ----- the tick -----

    def run(self, stopping: threading.Event, beat: float, done: Callable[[], bool] = lambda: False) -> None:
        """Ticks every `beat` seconds, and at once when a frame or a model answer arrives, until `stopping` is
        set or `done()`."""
        arrived = self._detection.arrived
        while not stopping.is_set():
            arrived.clear()  # what arrives during the tick wakes the next one at once
            self.tick()
            if done():  # checked after the tick: the tick that finished it may be followed by no arrival
                return
            arrived.wait(beat)

    def tick(self) -> None:
        """Advances the engine; never raises (an exception here would stop the watch)."""
        detection = self._detection
        try:
            with self._state_lock:
                detection.collect_frame()
                detection.collect_verdicts()
                now = self._clock.monotonic()
                self._advance(now)
                for _ in range(INSTANT_FRAMES_PER_TICK):  # a camera that answers at once is not a tick late
                    if not detection.collect_frame():
                        break
                    self._advance(now)
        except Exception as exc:  # a bug must not stop monitoring: log it, count it, go on
            self._logger.exception("Failwatch tick failed")
            with self._state_lock:
                self.count_error(f"internal error: {exc}")

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
        self._detection.advance(now)

    def _begin_watching_the_print(self, now: float) -> None:
        """Watching starts (or warm-up ends): the first look spread over the first intervals; a test run
        looks at once."""
        self.begin_watching(now, "watching")
        if not self._test_run:
            self._detection.spread_first_look(now)

    # ----- holds -----

    def _hold(self, state: State, seconds: float, message: str) -> bool:
        """No captures or model calls for `seconds`; then watching again by itself."""
        with self._state_lock:
            if self._state in (State.IDLE, State.NOT_CONFIGURED, State.PAUSED):
                return False
            self._detection.end_run()
            now = self._clock.monotonic()
            self._until = now + seconds
            self._next_cooldown_log = now
            self._status.until = self._clock.time() + seconds
            # a confirmed failure is logged by whoever acts on it
            self.set_state(state, message, log=state != State.COOLDOWN)
            return True

    def _end_hold(self, now: float, message: str) -> None:
        if self._print_paused:  # nothing to watch until the print is resumed
            self.set_state(State.PAUSED, "print paused: monitoring suspended")
        else:
            self.begin_watching(now, message)

    # ----- Lifecycle: what the detection tells the engine (under the engine's lock) -----

    def not_ready_to_judge(self, state: State, message: str) -> None:
        """Heating, or the print's first minutes: the gate says to wait (said once as it begins)."""
        self.set_state(state, message, log=state != self._state)

    def alarm_raised(self, eye: str) -> None:
        """`eye`: which raised it, in words (the status says so; so does the incident)."""
        self.set_state(State.VERIFYING, f"possible failure seen by {eye}, verifying")

    def count(self, counter: str, amount: int = 1) -> None:
        self._status.counters[counter] += amount

    def verdict_recorded(self, verdict: dict, counted: bool, like_dismissed: Optional[str], recovered: bool) -> None:
        """A model call came back: errors (or throttles) in a row end, the verdict and its cost are counted."""
        self._status.record_verdict(verdict, counted, like_dismissed, self._clock.time(), recovered)

    def verification_progress(self, progress: Optional[dict]) -> None:
        """The round's progress as the pages show it; None once it is over (told with the next change)."""
        self._status.verification = progress
        if progress is not None:
            self.emit_status()

    def set_state(self, state: State, message: str, log: bool = True) -> None:
        if log and (state != self._state or message != self._status.message):
            self._logger.info("Failwatch: %s", message)
        self._state = state
        if state not in HOLDS:
            self._status.until = None  # only a hold ends at a time
        self._status.state = state.value
        self._status.message = message
        self.emit_status()

    def begin_watching(self, now: float, message: str, at_once: bool = True) -> None:
        self._detection.restart(now, at_once)
        self.set_state(State.WATCHING, message)

    def confirmed(self, explanation: str) -> None:
        """A failure is confirmed: the cooldown, with no model calls, until it ends or the user says otherwise."""
        self._status.counters["confirmed"] += 1
        self._status.acknowledged = False
        self._hold(State.COOLDOWN, self._config.cooldown_seconds, "FAILURE confirmed: " + explanation)

    def test_run_finished(self) -> None:
        self._detection.end_run()
        self.set_state(State.IDLE, "test finished")

    def camera_problem(self, kind: str, text: str) -> None:
        """No picture, a black one or a frozen one: nothing is analysed and nothing can be confirmed; said once
        per kind of problem, counted every time."""
        self._status.counters["errors"] += 1
        self._status.error = text
        if self._state == State.CAMERA_PROBLEM and self._status.camera_problem == kind:
            self.emit_status()
            return
        self._detection.end_run()  # a verification in progress is abandoned, not decided on a dead picture
        self._logger.warning("Failwatch camera problem (%s): %s", kind, text)
        self._status.camera_problem = kind
        self.set_state(State.CAMERA_PROBLEM, text)
        self.emit(CameraProblem(kind, text))

    def camera_back(self, now: float) -> None:
        self._logger.info("Failwatch: camera is back")
        self._status.camera_problem, self._status.error = None, ""
        self.emit(CameraRecovered())
        self.begin_watching(now, "camera is back, watching")

    def throttled(self, error: BaseException, in_a_row: int) -> None:
        """The account's quota refused a routine look: said, not counted towards the error backoff (a farm
        over its quota would otherwise stop watching, and alert, everywhere at once)."""
        self._status.throttled(f"model: {error}", in_a_row)
        if in_a_row == 1 or in_a_row % 30 == 0:
            self._logger.warning(
                "Failwatch: the model's account quota refused %d look(s) in a row (throttled); "
                "looking less often until calls get through",
                in_a_row,
            )
        self.emit_status()

    def count_error(self, text: str) -> None:
        in_a_row = self._status.count_error(text)
        self._logger.warning("Failwatch error (%d in a row): %s", in_a_row, text)
        if in_a_row >= self._config.error_limit and self._state in ACTIVE:
            backoff = self._config.error_backoff_seconds
            message = f"{in_a_row} errors in a row, waiting {backoff:.0f} s: {text}"
            self._hold(State.ERROR_BACKOFF, backoff, message)
            self.emit(MonitoringStopped(message, backoff))
            return
        if self._state == State.WATCHING:  # still watching, and saying why it is not seeing anything
            self._status.message = f"analysis failing ({in_a_row} in a row), retrying: {text}"
        self.emit_status()

    def emit_status(self) -> None:
        self.emit(StatusChanged(self._status.copy()))

    def emit(self, event: EngineEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # a broken alert edge must not break detection
            self._logger.exception("Failwatch event handler for %s failed", type(event).__name__)

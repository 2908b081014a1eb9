"""One print's watcher: the engine (`engine.Engine`, what time does) and what the print and the user do to it.

Started when a print starts, suspended while it is paused, stopped when it ends; the user snoozes it,
ends a snooze, cooldown or grace early, and says "Not a failure" — which teaches the rest of the print
(`evidence.py`) and ends the cooldown that alarm started. New settings apply without losing the state.
"""

from __future__ import annotations

import threading
from typing import Callable, Optional

from ..config import FailwatchConfig
from ..frame import Frame
from ..sources.health import CameraHealth
from .engine import BEAT_SECONDS, HOLDS, Analyse, Clock, Engine, EventSink, SystemClock
from .evidence import LookAlike
from .status import State

__all__ = ["BEAT_SECONDS", "Clock", "EventSink", "Monitor", "SystemClock"]


class Monitor(Engine):
    # ----- control (called from OctoPrint's event handlers or the API) -----

    def start(self, once: bool = False) -> None:
        """Starts (or resumes) watching; `once` runs a single cycle (Test now)."""
        with self._state_lock:
            self._print_paused = False
            if self._config.not_ready():
                self._set_state(State.NOT_CONFIGURED, self._config.not_ready())
                return
            if self._state == State.COOLDOWN and self._clock.monotonic() < self._until:
                return  # resumed after our own pause: the cooldown doubles as a grace period
            self._once = once
            if self._status.watching_since is None:
                self._status.watching_since = self._clock.time()
            self._begin_watching_the_print(self._clock.monotonic())

    def run_once(self, stopping: threading.Event, tick_seconds: float, limit: float) -> None:
        """One cycle (a series, and verification if it is positive), ticked until done."""
        self.start(once=True)
        deadline = self._clock.monotonic() + limit
        self.run(stopping, tick_seconds, lambda: self._state in (State.IDLE, State.NOT_CONFIGURED)
                 or self._clock.monotonic() >= deadline)

    def suspend(self) -> None:
        """The print is paused: no captures, no model calls, late verdicts dropped; a cooldown runs on."""
        with self._state_lock:
            self._print_paused = True
            if self._state != State.COOLDOWN:
                self._end_run()
                self._set_state(State.PAUSED, "print paused: monitoring suspended")

    def stop(self) -> None:
        with self._state_lock:
            self._end_run()
            self._set_state(State.IDLE, "no print running")

    def snooze(self, seconds: float) -> bool:
        """The user asked for quiet: no captures or model calls until the time is up; False when not watching."""
        return self._hold(State.SNOOZED, seconds, f"snoozed for {seconds / 60:.0f} min")

    def grace(self, seconds: float) -> None:
        """After the user resumed a print: detection restarts only after `seconds` (not during a cooldown)."""
        with self._state_lock:
            if self._state != State.COOLDOWN and seconds > 0:
                self._hold(State.GRACE, seconds, f"print resumed: watching again in {seconds / 60:.1f} min")

    def resume_watching(self) -> bool:
        """Ends a snooze, a cooldown, a grace period or an error backoff now; False when none is running."""
        with self._state_lock:
            if self._state not in HOLDS:
                return False
            self._status.acknowledged = True
            self._status.consecutive_errors = 0
            self._end_hold(self._clock.monotonic(), "watching again (resumed by you)")
            return True

    def dismiss(self, look_alike: LookAlike, grace_seconds: float) -> None:
        """'Not a failure': its look-alike no longer counts in this print, and the cooldown it started ends
        (watching again after the grace period, or once the print is resumed)."""
        with self._state_lock:
            self._evidence.dismiss(look_alike)
            self._status.acknowledged = True
            if self._state == State.COOLDOWN:
                self._end_hold(self._clock.monotonic(), "watching again: not a failure")
                if self._state == State.WATCHING and grace_seconds > 0:
                    self.grace(grace_seconds)

    def withdraw_dismissal(self, incident: str) -> None:
        """The user changed their mind: that incident's look-alike counts as a failure again."""
        self._evidence.withdraw(incident)

    def acknowledge(self) -> None:
        with self._state_lock:
            self._status.acknowledged = True
            if self._state == State.COOLDOWN:  # seen: no longer news, "FAILURE confirmed" would still shout it
                self._status.message = "cooldown after the failure you acknowledged: no model calls until it ends"
            self._emit_status()

    def reconfigure(self, config: FailwatchConfig, capture: Optional[Callable[[], Frame]] = None,
                    analyse: Optional[Analyse] = None) -> None:
        """New settings without losing the state (a snooze, a cooldown, a failure, a verification under way)."""
        with self._state_lock:
            self._config = config
            self._local.reconfigure(config)
            self._evidence.min_confidence = config.min_failure_confidence
            if capture is not None:
                self._camera.replace(capture, CameraHealth(config.frozen_seconds))
            if analyse is not None:
                self._calls.replace(analyse)


"""The print's lifecycle, followed: a print starts — a new watch; paused — suspended; resumed — watching again
after the grace period; ended — idle. One follower for every host: the plugin calls it from OctoPrint's events,
the daemon hands it its printer's state changes (Moonraker's websocket, OctoPrint's REST API) through `changed`.

A pause that ends within `macro_pause_seconds` and was not Failwatch's is a macro's, not the user's (a timelapse
parking the head for its frame): watching goes on at once, with no grace period, or every layer's frame would
blind the watch (the daemon's printers; OctoPrint's timelapse pauses nothing, so the plugin sets none). While the
printer cannot be reached the watch goes on as it was: the camera still sees, and the state is said in the log.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Optional

from ..config import FailwatchConfig
from ..engine.engine import Clock
from ..engine.status import State
from ..engine.watch import Watch
from ..outcomes.actions import PrintAction
from ..printers.base import Printer, PrinterState
from .feedback import Feedback
from .gate import PrintGate

MACRO_PAUSE_SECONDS = 20.0


class PrintFollower:
    def __init__(
        self,
        *,
        watch: Watch,
        action: PrintAction,
        feedback: Feedback,
        gate: Optional[PrintGate],
        config: Callable[[], FailwatchConfig],
        new_print: Callable[[], None],
        clock: Clock,
        logger: logging.Logger,
        printer: Optional[Printer] = None,
        macro_pause_seconds: float = 0.0,
        began: Callable[[], None] = lambda: None,
        finished: Callable[[], None] = lambda: None,
    ):
        self._watch = watch
        self._action = action
        self._feedback = feedback
        self._gate = gate
        self._config = config
        self._new_print = new_print  # what else starts afresh with a print (the feedback, the pages' timeline...)
        self._clock = clock
        self._logger = logger
        self._printer = printer  # the daemon's, whose changes come through `changed`
        self._macro_pause_seconds = macro_pause_seconds
        self._began = began  # a print starts from its beginning (the bed check looks), not one joined half-way
        self._finished = finished  # the print being followed ended
        self._lock = threading.Lock()  # guards the print being followed: OctoPrint's and the printer's threads call
        self._file: Optional[str] = None  # the file of the print being watched
        self._following = False  # a print (or, without a printer, the camera) is being watched
        self._paused_at: Optional[float] = None

    # ----- what happens to the print -----

    def started(self, file: Optional[str], reason: str = "") -> None:
        """A new print (or, with no printer, watching the camera from now on)."""
        with self._lock:
            self._start(file, reason or f"print started ({file or 'unknown file'})")

    def joined(self, file: Optional[str], paused: bool) -> None:
        """Failwatch started during a print: no warm-up, its first minutes are past; a paused one is watched once
        it is resumed."""
        with self._lock:
            self._begin(file, already_running=True)
            self._watch.start(
                "started during a paused print" if paused else "started during a print", self._config().test_mode
            )
            if paused:
                self._paused_at = None
                self._watch.control(lambda engine: engine.suspend())

    def paused(self) -> None:
        with self._lock:
            self._paused_at = self._clock.monotonic()
            self._watch.control(lambda engine: engine.suspend())

    def resumed(self) -> None:
        with self._lock:
            self._resume()

    def ended(self) -> None:
        with self._lock:
            self._end()

    def watch_now(self, reason: str, same_print: bool = True) -> None:
        """The settings became complete (or test mode changed) while a print runs: this print is watched from
        now on."""
        with self._lock:
            self._following = True
            self._watch.start(reason, self._config().test_mode, same_print=same_print)

    @property
    def following(self) -> bool:
        return self._following

    # ----- a printer's state changes (the daemon's printers, on their own thread: quick) -----

    def changed(self, old: PrinterState, new: PrinterState) -> None:
        self._logger.info("Failwatch: the printer (%s) is %s", self._printer.name if self._printer else "?", new.value)
        job = self._printer.job() if self._printer is not None else {}
        with self._lock:
            file = job.get("file")
            if new == PrinterState.PRINTING:
                if old == PrinterState.PAUSED and self._following:
                    self._resume()
                elif self._following and file == self._file and self._watch.state != State.IDLE:
                    pass  # the printer is back after an outage, still printing the same file: the same watch
                else:
                    fresh = old != PrinterState.OFFLINE  # from offline: a print under way when Failwatch came
                    self._start(
                        file,
                        f"print started ({file or 'unknown file'})"
                        if fresh
                        else f"the printer is printing ({file or 'unknown file'})",
                        fresh,
                    )
            elif new == PrinterState.PAUSED:
                if not self._following:  # already paused when Failwatch started: watched once resumed
                    self._begin(file, already_running=False)
                    self._watch.start("the printer's print is paused", self._config().test_mode)
                self._paused_at = self._clock.monotonic()
                self._watch.control(lambda engine: engine.suspend())
            elif new == PrinterState.IDLE and self._following:
                self._end()
            # OFFLINE: nothing is known of the print; the watch goes on as it was

    # ----- under the lock -----

    def _begin(self, file: Optional[str], already_running: bool) -> None:
        self._file, self._following, self._paused_at = file, True, None
        self._action.new_print()  # a pause of ours belongs to the print we paused
        self._new_print()
        if self._gate is not None:
            self._gate.new_print(already_running)

    def _end(self) -> None:
        self._file, self._following, self._paused_at = None, False, None
        self._action.new_print()
        self._watch.stop()
        self._finished()

    def _start(self, file: Optional[str], reason: str, fresh: bool = True) -> None:
        self._begin(file, already_running=False)
        self._watch.start(reason, self._config().test_mode)
        if fresh:
            self._began()

    def _resume(self) -> None:
        paused_for = self._clock.monotonic() - (
            self._paused_at if self._paused_at is not None else self._clock.monotonic()
        )
        self._paused_at = None
        ours = self._feedback.user_resumed() is not None
        self._following = True
        if paused_for < self._macro_pause_seconds and not ours:
            self._watch.start(
                "a short pause ended (a macro's, such as a timelapse frame): watching on",
                self._config().test_mode,
                same_print=True,
            )
            return
        self._watch.start("print resumed", self._config().test_mode, same_print=True)
        grace = self._config().resume_grace_seconds
        self._watch.control(lambda engine: engine.grace(grace))  # no re-alarm the moment the user resumes

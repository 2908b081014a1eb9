"""The daemon with a printer (`PRINTER_URL`): watching follows the printer's prints, as the plugin follows
OctoPrint's events — a print starts: a new watch; paused: suspended; resumed: watching again after the grace
period; ended: idle. A confirmed failure is acted on through the printer (`outcomes.actions.PrintAction`).

A pause that ends within `MACRO_PAUSE_SECONDS` and was not Failwatch's is a macro's, not the user's (a timelapse
parking the head for its frame): watching goes on at once, with no grace period, or every layer's frame would
blind the watch. While the printer cannot be reached the watch goes on as it was: the camera still sees, and the
state is said in the log.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Optional

from .config import FailwatchConfig
from .engine.status import State
from .engine.watch import Watch
from .outcomes.actions import PrintAction
from .printers.base import Printer, PrinterState

MACRO_PAUSE_SECONDS = 20.0


class PrinterFollower:
    def __init__(self, printer: Printer, watch: Watch, action: PrintAction, config: Callable[[], FailwatchConfig],
                 clock, logger: logging.Logger):
        self._printer = printer
        self._watch = watch
        self._action = action
        self._config = config
        self._clock = clock
        self._logger = logger
        self._lock = threading.Lock()  # guards the print being followed: the printer's thread calls in
        self._file: Optional[str] = None  # the file of the print being watched
        self._paused_at: Optional[float] = None

    def start(self) -> None:
        self._printer.start(self.changed)

    def changed(self, old: PrinterState, new: PrinterState) -> None:
        """The printer's state changed (on the printer's thread: quick, nothing waits on the network here)."""
        with self._lock:
            self._logger.info("Failwatch: the printer (%s) is %s", self._printer.name, new.value)
            if new == PrinterState.PRINTING:
                self._printing(old)
            elif new == PrinterState.PAUSED:
                self._paused(old)
            elif new == PrinterState.IDLE:
                self._ended()
            # OFFLINE: nothing is known of the print; the watch goes on as it was

    def _printing(self, old: PrinterState) -> None:
        file = self._printer.job().get("file")
        if old == PrinterState.PAUSED and self._file is not None:
            paused_for = self._clock.monotonic() - (self._paused_at or self._clock.monotonic())
            ours = self._action.user_resumed() is not None
            self._paused_at = None
            if paused_for < MACRO_PAUSE_SECONDS and not ours:
                self._watch.start("a short pause ended (a macro's, such as a timelapse frame): watching on",
                                  self._config().test_mode, same_print=True)
                return
            self._watch.start("print resumed", self._config().test_mode, same_print=True)
            grace = self._config().resume_grace_seconds
            self._watch.control(lambda engine: engine.grace(grace))  # no re-alarm the moment the user resumes
            return
        if self._file is not None and file == self._file and self._watch.state != State.IDLE:
            return  # the printer is back after an outage, still printing the same file: the same watch
        self._file = file
        self._action.new_print()
        self._watch.start(f"print started ({file or 'unknown file'})" if old != PrinterState.OFFLINE
                          else f"the printer is printing ({file or 'unknown file'})", self._config().test_mode)

    def _paused(self, old: PrinterState) -> None:
        self._paused_at = self._clock.monotonic()
        if self._file is None:  # already paused when Failwatch started: watched once resumed
            self._file = self._printer.job().get("file")
            self._action.new_print()
            self._watch.start("the printer's print is paused", self._config().test_mode)
        self._watch.control(lambda engine: engine.suspend())

    def _ended(self) -> None:
        if self._file is not None:
            self._file = None
            self._paused_at = None
            self._action.new_print()
            self._watch.stop()

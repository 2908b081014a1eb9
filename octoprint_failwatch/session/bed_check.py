"""The bed check: one look at the build plate when a print starts — while the printer heats, before its first
layer — asking the vision model whether the plate is clear. A leftover part or a tool on it is alerted with the
picture and, when the user allows it, the print is held (paused, as Failwatch's own pause) until they press
*Print anyway*. A plate the camera cannot see then (the head parked in front) raises no alarm, and nothing the
check itself gets wrong (no picture, a model error, the offline backend) ever holds a print.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

from ..analysis import PlateReading
from ..analysis.offline import NO_BED_CHECK
from ..analysis.plate import CANNOT_SEE, OBJECTS
from ..config import FailwatchConfig
from ..engine.engine import Clock
from ..frame import Frame
from ..outcomes.actions import PrintAction

TAGS = {"plugin:failwatch", "trigger:bed_check"}  # who paused, in OctoPrint's event payloads

CHECKING, ERROR, UNAVAILABLE = "checking", "error", "unavailable"  # beside the plate's clear | objects | cannot_see


class BedCheck:
    def __init__(
        self,
        *,
        config: Callable[[], FailwatchConfig],
        check: Callable[[FailwatchConfig, Frame], PlateReading],
        picture: Callable[[], bytes],
        action: PrintAction,
        not_clear: Callable[[PlateReading, bytes, bool], None],
        changed: Callable[[], None],
        clock: Clock,
        logger: logging.Logger,
        run: Callable[[Callable[[], None]], None] = lambda look: threading.Thread(
            target=look, name="failwatch-bed-check", daemon=True
        ).start(),
    ):
        self._config = config
        self._check = check  # the configured model's bed question
        self._picture = picture  # a JPEG from the watch's camera
        self._action = action
        self._not_clear = not_clear  # alerts (and the pages' notice) for a plate that is not clear; held or not
        self._changed = changed
        self._clock = clock
        self._logger = logger
        self._run = run
        self._lock = threading.Lock()  # guards the result: the look's thread, the host's and the user's meet here
        self._print = 0  # which print a look belongs to: the answer of an ended print's look is dropped
        self.result: Optional[dict] = None  # what the pages show: state, explanation, held, cost_usd, time
        self.picture: Optional[bytes] = None  # the look's JPEG while its plate is not clear, for the pages

    def print_started(self) -> None:
        """A print starts from its beginning (not one Failwatch joined half-way): one look, off the caller's
        thread."""
        config = self._config()
        with self._lock:
            self._print += 1
            number = self._print
            self.picture = None
            self.result = None
            if not config.bed_check or config.test_mode or config.not_ready():
                return
            if config.model_backend == "local":
                self.result = self._said(UNAVAILABLE, NO_BED_CHECK)
                return
            self.result = self._said(CHECKING, "looking at the build plate")
        self._changed()
        self._run(lambda: self._look(number, config))

    def print_ended(self) -> None:
        with self._lock:
            self._print += 1
            if self.result is not None:
                self.result = {**self.result, "held": False}

    def print_anyway(self) -> tuple[bool, str]:
        """The user's *Print anyway*: a print the bed check holds goes on; nothing else is resumed."""
        with self._lock:
            result = self.result
            if result is None or not result.get("held"):
                return False, "no print is held by the bed check"
            if not self._action.holds_print():
                self.result = {**result, "held": False}
                return False, "the print is no longer held by the bed check"
            self.result = {**result, "held": False, "printed_anyway": True}
        self._action.resume_on_request(TAGS)
        self._logger.info("Failwatch: bed check: print anyway, the print goes on")
        self._changed()
        return True, "print resumed: printing anyway"

    # ----- the look, on its own thread -----

    def _look(self, number: int, config: FailwatchConfig) -> None:
        try:
            jpeg = self._picture()
        except Exception as exc:  # no picture is no alarm: the print goes on, the watch will say the camera's state
            self._finish(number, self._said(ERROR, f"no picture from the camera: {exc}"))
            return
        try:
            reading = self._check(config, Frame(jpeg, self._clock.monotonic(), time.time()))
        except Exception as exc:  # a model error holds nothing
            self._finish(number, self._said(ERROR, str(exc)))
            return
        result = self._said(reading.plate, reading.explanation, cost_usd=reading.cost_usd)
        if reading.plate != OBJECTS:
            self._finish(number, result)
            return
        held = config.bed_check_hold and self._action.pause_on_request(TAGS)
        if self._finish(number, {**result, "held": held}, jpeg):
            self._not_clear(reading, jpeg, held)

    def _finish(self, number: int, result: dict, picture: Optional[bytes] = None) -> bool:
        """Keeps the look's result unless its print has ended; True if kept."""
        with self._lock:
            if number != self._print:
                return False
            self.result, self.picture = result, picture
        state, text = result["state"], result["explanation"]
        if state == ERROR:
            self._logger.warning("Failwatch: bed check failed (the print goes on): %s", text)
        elif state == CANNOT_SEE:
            self._logger.info("Failwatch: bed check: the camera cannot see the plate, no alarm: %s", text)
        elif state == OBJECTS:
            held = " — print held until Print anyway" if result.get("held") else ""
            self._logger.warning("Failwatch: bed check: something on the build plate: %s%s", text, held)
        else:
            self._logger.info("Failwatch: bed check: the plate is clear: %s", text)
        self._changed()
        return True

    @staticmethod
    def _said(state: str, explanation: str, **more) -> dict:
        return {"state": state, "explanation": explanation, "held": False, "time": time.time(), **more}

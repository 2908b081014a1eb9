"""What happens to the print on a confirmed failure: notify only, pause or cancel — through any printer.

Only a confirmed failure reaches this module (the engine never confirms from its own errors), the
printer must be printing, and by default only one automatic pause happens per print. The pause is
asked for first, before anything is recorded or alerted. Which pause is ours is kept here, so "Not a
failure" resumes only our own; what OctoPrint adds to our pause (the safe sequence in its pause
scripts) is the plugin's (`plugin/safe_pause.py`).
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Optional

from ..config import FailwatchConfig
from ..printers.base import Printer, PrinterState
from .alerts import ACTION_WORDS
from .dispatch import CANCELLED, NOTIFIED, PAUSED


class PrintAction:
    """What Failwatch does to the print, and the state of its own pause: it carries out the configured action
    on a confirmed failure, remembers which incident a pause of ours belongs to, and resumes the print when the
    user says the alarm was not a failure."""

    def __init__(
        self, config: Callable[[], FailwatchConfig], logger: logging.Logger, printer: Optional[Printer] = None
    ):
        self._config = config  # the current settings (they change on save)
        self._printer = printer  # the watched printer (printers.base.Printer)
        self._logger = logger
        self._lock = threading.Lock()  # guards the pause state below: API, event and comm threads meet here
        self.auto_pauses_this_print = 0
        self._pausing = False  # our pause is under way or in force
        self._incident: Optional[str] = None  # the incident our pause belongs to, while the print is paused

    def attach(self, printer: Printer) -> None:
        """OctoPrint hands its printer to a plugin after the hooks are registered."""
        self._printer = printer

    def new_print(self) -> None:
        """A print started or ended: nothing of an earlier print's pause carries over."""
        with self._lock:
            self.auto_pauses_this_print = 0
            self._pausing = False
            self._incident = None

    @property
    def our_pause(self) -> bool:
        """Whether a pause of ours is under way or in force."""
        return self._pausing

    def _paused(self) -> bool:
        return self._printer is not None and self._printer.state == PrinterState.PAUSED

    # ----- on a confirmed failure -----

    def describe(self, action: str) -> str:
        """What was done, in the alert's words: through which printer host, and what a long pause does there."""
        words = ACTION_WORDS[action]
        # the daemon's printers say how they are reached ("through Moonraker"); OctoPrint's own printer has no words
        printer = self._printer
        if action == NOTIFIED or printer is None or not printer.via:
            return words
        via, note = printer.via, printer.pause_note if action == PAUSED else ""
        return f"{words} {via}" + (f" ({note})" if note else "")

    def on_confirmed_failure(self, test_run: bool) -> str:
        """Carries out the configured action; returns what was done, for alerts and history."""
        config = self._config()
        if test_run or config.failure_action == "notify" or self._printer is None:
            return NOTIFIED
        state = self._printer.state
        if state != PrinterState.PRINTING:
            self._logger.info("Failwatch: printer is %s, not %s it", self._printer.state_words, config.failure_action)
            return NOTIFIED
        if config.failure_action == "cancel" and config.allow_cancel:
            return CANCELLED if self._ask(self._printer.cancel_print, "cancel") else NOTIFIED
        with self._lock:
            if self.auto_pauses_this_print >= config.max_auto_pauses:
                self._logger.info(
                    "Failwatch: already paused this print %d time(s), only notifying", self.auto_pauses_this_print
                )
                return NOTIFIED
            self.auto_pauses_this_print += 1
            self._pausing = True
        if self._ask(self._printer.pause_print, "pause"):
            return PAUSED
        with self._lock:
            self.auto_pauses_this_print -= 1
            self._pausing = False
        return NOTIFIED

    def _ask(self, action: Callable[..., None], words: str) -> bool:
        """Asks the printer; a printer that refuses or cannot be reached (the daemon's Moonraker gone) is said in
        the log, and the failure is still recorded and alerted, as only notified."""
        try:
            action(tags={"plugin:failwatch"})
            return True
        except Exception as exc:
            self._logger.warning("Failwatch: could not %s the print: %s", words, exc)
            return False

    def pause_on_request(self, tags: set) -> bool:
        """A pause someone asked Failwatch for (Home Assistant's Pause print): ours, so Failwatch may resume it on
        request too; it is no automatic pause and counts towards none."""
        if self._printer is None or self._printer.state != PrinterState.PRINTING:
            return False
        with self._lock:
            self._pausing = True
        self._printer.pause_print(tags=tags)
        return True

    def paused_for(self, incident: Optional[str]) -> None:
        with self._lock:
            self._incident = incident

    # ----- after our pause -----

    def holds_print_for(self, incident: str) -> bool:
        """Whether the print is paused by our pause for this incident."""
        with self._lock:
            return incident == self._incident and self._paused()

    def holds_print(self) -> bool:
        """Whether the print is paused by our pause (for any incident)."""
        with self._lock:
            return self._pausing and self._paused()

    def resume_on_request(self, tags: set) -> None:
        if self._printer is not None:
            self._printer.resume_print(tags=tags)

    def user_resumed(self) -> Optional[str]:
        """The print was resumed by the user: the incident our pause belonged to, if it was ours."""
        with self._lock:
            incident, self._incident = self._incident, None
            self._pausing = False
            return incident

    def resume_not_a_failure(self, incident: str) -> bool:
        """'Not a failure' on the incident our pause belongs to resumes the print; True if it did."""
        with self._lock:
            if incident != self._incident or not self._paused() or self._printer is None:
                return False
            self._incident = None  # not a user resume after a real failure
        self._printer.resume_print(tags={"plugin:failwatch"})
        self._logger.info("Failwatch: 'not a failure' for %s, print resumed", incident)
        return True

"""What happens to the print on a confirmed failure: notify only, pause or cancel — safely.

Only a confirmed failure reaches this module (the engine never confirms from its own errors), the
printer must be PRINTING, and by default only one automatic pause happens per print.
"""

from __future__ import annotations

import logging

from .config import FailwatchConfig

NOTIFIED = "notified"
PAUSED = "paused"
CANCELLED = "cancelled"


class PrintActions:
    def __init__(self, printer, logger: logging.Logger):
        self._printer = printer
        self._logger = logger
        self.auto_pauses_this_print = 0

    def new_print(self) -> None:
        self.auto_pauses_this_print = 0

    def on_confirmed_failure(self, config: FailwatchConfig, test_run: bool) -> str:
        """Carries out the configured action; returns what was done, for alerts and history."""
        if test_run or config.failure_action == "notify":
            return NOTIFIED
        state = self._printer.get_state_id()
        if state != "PRINTING":
            self._logger.info("Failwatch: printer is %s, not %s it", state, config.failure_action)
            return NOTIFIED
        if config.failure_action == "cancel" and config.allow_cancel:
            self._printer.cancel_print(tags={"plugin:failwatch"})
            return CANCELLED
        if self.auto_pauses_this_print >= 1:
            self._logger.info("Failwatch: already paused this print once, only notifying")
            return NOTIFIED
        self.auto_pauses_this_print += 1
        self._printer.pause_print(tags={"plugin:failwatch"})
        return PAUSED

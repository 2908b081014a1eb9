"""Home Assistant's buttons for Failwatch (MQTT commands), each doing exactly what its name says, checked
against the state of the moment.

A command that the moment does not allow is refused, in words: no alarm to acknowledge, no print to pause.
*Resume print* resumes only a pause of Failwatch's own — after a failure, or asked for with *Pause print*;
a print paused at the printer's host, by a filament runout or by another plugin is left for someone there to
resume. *Not a failure* teaches the engine and ends the alarm but never resumes the print by itself (the
OctoPrint page asks first; here there is no one to ask): *Resume print* does that. *Print anyway* lets a print
the bed check holds go on. Every command is logged with its answer. Without a printer (the daemon watching a
camera alone) the print commands are refused.
"""

from __future__ import annotations

import logging
from typing import Callable, Optional, Protocol

from ..outcomes.actions import PrintAction
from ..outcomes.alerts.mqtt_identity import COMMANDS
from ..printers.base import Printer, PrinterState

SNOOZE_MINUTES = 30
TAGS = {"plugin:failwatch", "source:home_assistant"}  # who asked, in OctoPrint's event payloads


class Controls(Protocol):
    """What the plugin lets a remote user do: the same as its page's buttons."""

    def acknowledge(self, incident: Optional[str] = None) -> None: ...

    def label_incident(self, incident: str, label: Optional[str], resume_print: bool) -> Optional[dict]: ...

    def snooze(self, minutes: float) -> bool: ...

    def resume_watching(self) -> bool: ...


class RemoteCommands:
    def __init__(
        self,
        controls: Controls,
        alarm: Callable[[], Optional[str]],
        printer: Optional[Printer],
        print_action: PrintAction,
        logger: logging.Logger,
        print_anyway: Callable[[], tuple[bool, str]] = lambda: (False, "no bed check here"),
    ):
        self._controls = controls
        self._alarm = alarm  # the incident of the failure notice on show, if any
        self._printer = printer
        self._print_action = print_action
        self._logger = logger
        self._release_bed_hold = print_anyway  # the bed check's: a print it holds goes on

    def run(self, command: str) -> tuple[bool, str]:
        if command not in COMMANDS:
            ok, text = False, "unknown command; known: " + ", ".join(COMMANDS)
        else:
            ok, text = getattr(self, f"_{command}")()
        self._logger.info("Failwatch: Home Assistant command %r: %s", command, text)
        return ok, text

    def _acknowledge(self) -> tuple[bool, str]:
        incident = self._alarm()
        if incident is None:
            return False, "no failure alarm to acknowledge"
        self._controls.acknowledge(incident)
        return True, "alarm acknowledged"

    def _not_a_failure(self) -> tuple[bool, str]:
        incident = self._alarm()
        if incident is None:
            return False, "no failure alarm to call not a failure"
        answer = self._controls.label_incident(incident, "not_a_failure", resume_print=False)
        if answer is None:
            return False, "that alarm's incident is gone"
        if answer["confirm_resume"]:
            return True, "marked not a failure; the print stays paused until you resume it (Resume print)"
        return True, "marked not a failure; watching again after the grace period"

    def _snooze(self) -> tuple[bool, str]:
        if not self._controls.snooze(SNOOZE_MINUTES):
            return False, "nothing to snooze: no print is being watched, or a snooze or cooldown is already running"
        return True, f"watching snoozed for {SNOOZE_MINUTES} min"

    def _resume_watching(self) -> tuple[bool, str]:
        if not self._controls.resume_watching():
            return False, "nothing to resume: no snooze, cooldown or grace period is running"
        return True, "watching again"

    def _pause_print(self) -> tuple[bool, str]:
        if self._printer is None:
            return False, "no printer to pause: Failwatch watches a camera alone"
        if not self._print_action.pause_on_request(TAGS):
            return False, f"no print to pause (the printer is {self._printer.state_words})"
        return True, "print paused"

    def _resume_print(self) -> tuple[bool, str]:
        if self._printer is None:
            return False, "no printer to resume: Failwatch watches a camera alone"
        if self._printer.state != PrinterState.PAUSED:
            return False, f"no paused print to resume (the printer is {self._printer.state_words})"
        if not self._print_action.holds_print():
            return False, f"refused: Failwatch did not pause this print; resume it in {self._printer.name}"
        self._print_action.resume_on_request(TAGS)
        return True, "print resumed"

    def _print_anyway(self) -> tuple[bool, str]:
        return self._release_bed_hold()

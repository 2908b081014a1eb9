"""What the user says about an incident, and what follows from it.

"Not a failure" keeps the label, teaches the print's engine the look-alike (`evidence.py`) so it is not
alarmed again, ends the cooldown that alarm started (watching again after the grace period), and
resumes a print our pause holds — only when the user has confirmed that, since a wrong click would
resume a failing print. Changing the label back to a real failure withdraws the lesson.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..engine.evidence import LookAlike
from ..engine.watch import Watch
from ..outcomes.actions import PrintAction
from ..outcomes.history import IncidentHistory


class Feedback:
    def __init__(self, history: IncidentHistory, watch: Watch, print_action: PrintAction,
                 grace_seconds: Callable[[], float]):
        self._history = history
        self._watch = watch
        self._print_action = print_action
        self._grace_seconds = grace_seconds
        self._this_print: set[str] = set()  # incidents of the print being watched: they can teach its engine

    def new_print(self) -> None:
        self._this_print.clear()

    def recorded(self, incident: Optional[str]) -> None:
        if incident:
            self._this_print.add(incident)

    def label(self, incident_id: str, label: Optional[str], resume_print: bool) -> Optional[dict]:
        """Sets the user's label; returns the incident, whether the print was resumed, and whether resuming
        it is waiting for the user's confirmation."""
        record = self._history.set_label(incident_id, label)
        if record is None:
            return None
        resumed, confirm_resume = False, False
        if incident_id in self._this_print and record["kind"] == "confirmed":
            if label == "not_a_failure":
                verdicts = [record.get("quick"), record.get("trigger"), *(record.get("results") or [])]
                look_alike, grace = LookAlike.of(incident_id, verdicts), self._grace_seconds()
                self._watch.control(lambda engine: engine.dismiss(look_alike, grace))
            else:
                self._watch.control(lambda engine: engine.withdraw_dismissal(incident_id))
        if label == "not_a_failure" and self._print_action.holds_print_for(incident_id):
            if resume_print and self._print_action.resume_not_a_failure(incident_id):
                resumed = True
                record = self._history.note(incident_id, "print resumed: not a failure") or record
            else:
                confirm_resume = True
        return {"incident": record, "resumed": resumed, "confirm_resume": confirm_resume}

    def user_resumed(self) -> None:
        """The user resumed the print themselves: if our pause held it, its incident says so."""
        incident = self._print_action.user_resumed()
        if incident is not None:
            self._history.note(incident, "print resumed by the user")

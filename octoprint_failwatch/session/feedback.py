"""What the user says about an incident, and what follows from it.

"Not a failure" keeps the label, teaches the print's engine the look-alike (`evidence.py`) so it is not
alarmed again, ends the cooldown that alarm started (watching again after the grace period), and
resumes a print our pause holds — only when the user has confirmed that, since a wrong click would
resume a failing print. Changing the label back to a real failure withdraws the lesson. A label set
outside this process (the daemon's `failwatch label`) teaches the same way through `learn`.
"""

from __future__ import annotations

import threading
from typing import Callable, Optional

from ..engine.evidence import LookAlike
from ..engine.watch import Watch
from ..outcomes.actions import PrintAction
from ..outcomes.history import IncidentHistory


class Feedback:
    def __init__(
        self, history: IncidentHistory, watch: Watch, print_action: PrintAction, grace_seconds: Callable[[], float]
    ):
        self._history = history
        self._watch = watch
        self._print_action = print_action
        self._grace_seconds = grace_seconds
        self._lock = threading.Lock()  # guards the incidents of this print: the engine and request threads meet
        self._this_print: dict[str, Optional[str]] = {}  # incidents of the print being watched -> label taught

    def new_print(self) -> None:
        with self._lock:
            self._this_print.clear()

    def recorded(self, incident: Optional[str]) -> None:
        if incident:
            with self._lock:
                self._this_print.setdefault(incident, None)

    def this_print(self) -> dict[str, Optional[str]]:
        """The incidents of the print being watched, each with the label its engine was taught."""
        with self._lock:
            return dict(self._this_print)

    def label(self, incident_id: str, label: Optional[str], resume_print: bool) -> Optional[dict]:
        """Sets the user's label; returns the incident, whether the print was resumed, and whether resuming
        it is waiting for the user's confirmation."""
        record = self._history.set_label(incident_id, label)
        if record is None:
            return None
        self.learn(record, label)
        resumed, confirm_resume = False, False
        if label == "not_a_failure" and self._print_action.holds_print_for(incident_id):
            if resume_print and self._print_action.resume_not_a_failure(incident_id):
                resumed = True
                record = self._history.note(incident_id, "print resumed: not a failure") or record
            else:
                confirm_resume = True
        return {"incident": record, "resumed": resumed, "confirm_resume": confirm_resume}

    def learn(self, record: dict, label: Optional[str]) -> bool:
        """Teaches the print's engine what a label on one of this print's confirmed alarms says; False when the
        incident is not one of them (another print's teaches nothing here)."""
        incident_id = record["id"]
        with self._lock:
            if incident_id not in self._this_print:
                return False
            self._this_print[incident_id] = label
        if record["kind"] != "confirmed":  # a rejected alarm taught nothing and holds nothing
            return False
        if label == "not_a_failure":
            verdicts = [record.get("quick"), record.get("trigger"), *(record.get("results") or [])]
            look_alike, grace = LookAlike.of(incident_id, verdicts), self._grace_seconds()
            self._watch.control(lambda engine: engine.dismiss(look_alike, grace))
        else:
            self._watch.control(lambda engine: engine.withdraw_dismissal(incident_id))
        return True

    def user_resumed(self) -> Optional[str]:
        """The user resumed the print themselves: if our pause held it, its incident says so and is returned."""
        incident = self._print_action.user_resumed()
        if incident is not None:
            self._history.note(incident, "print resumed by the user")
        return incident

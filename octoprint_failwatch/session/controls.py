"""What the user does from a page, Home Assistant or the daemon's command line: acknowledge the alarm, snooze,
resume watching, label an incident. Each changes the print's engine, the failure notice and the incident
together, then tells the host (the plugin's pages); `remote.RemoteCommands` and the plugin's HTTP API both come
here."""

from __future__ import annotations

from typing import Callable, Optional

from ..engine.engine import Engine
from ..engine.watch import Watch
from ..outcomes.history import IncidentHistory
from .feedback import Feedback
from .notice import FailureNotice


class UserControls:
    def __init__(
        self,
        watch: Watch,
        notice: FailureNotice,
        incidents: IncidentHistory,
        feedback: Feedback,
        push_status: Callable[[], None],
    ):
        self._watch = watch
        self._notice = notice
        self._incidents = incidents
        self._feedback = feedback
        self._push_status = push_status

    def acknowledge(self, incident: Optional[str] = None) -> None:
        """The user has seen the alarm: the notice goes, the engine's alarm and the incident are acknowledged."""
        shown = (self._notice.current or {}).get("incident")
        if self._notice.clear(incident) or incident is None:
            self._watch.control(Engine.acknowledge)
        acknowledged = incident or shown
        if acknowledged:
            self._incidents.acknowledge(acknowledged)
        self._push_status()

    def snooze(self, minutes: float) -> bool:
        snoozed = bool(self._watch.control(lambda engine: engine.snooze(minutes * 60)))
        self._push_status()
        return snoozed

    def resume_watching(self) -> bool:
        resumed = bool(self._watch.control(Engine.resume_watching))
        if resumed:
            self._notice.clear()
        self._push_status()
        return resumed

    def label_incident(self, incident: str, label: Optional[str], resume_print: bool) -> Optional[dict]:
        answer = self._feedback.label(incident, label, resume_print)
        if answer is not None and label == "not_a_failure":
            self._alarm_over(incident)
        return answer

    def labelled_elsewhere(self, record: dict) -> None:
        """A label set outside this process (the daemon's `failwatch label`) on one of this print's incidents."""
        if self._feedback.learn(record, record.get("label")) and record.get("label") == "not_a_failure":
            self._alarm_over(record["id"])

    def _alarm_over(self, incident: str) -> None:
        # the notice goes and the alarm is over; the incident's log says what the user did: labelled it
        # (not "acknowledged", which they never pressed)
        self._notice.clear(incident)
        self._watch.control(Engine.acknowledge)
        self._push_status()

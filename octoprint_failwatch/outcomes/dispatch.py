"""After the verdict: engine events → alert channels, incident records, the action on the print, the cost.

Free of OctoPrint and HTTP. The session (plugin and daemon alike) hands every engine event to a
`Dispatcher`, with the action on the print, where incidents are kept and how the job is described.
`handle` returns the outcomes a host re-broadcasts (OctoPrint events, the browser's failure notice):
JSON-safe payloads, never frames.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, Optional, Protocol

from ..analysis import DailySpend, PlateReading
from ..analysis.context import PrintContext
from ..config import FailwatchConfig
from ..engine.events import (
    Analysed,
    CameraProblem,
    CameraRecovered,
    EngineEvent,
    FailureDetected,
    LocalLooked,
    MonitoringStopped,
    StatusChanged,
    VerificationDecided,
)
from .alerts import BED, FAILURE, PROBLEM, STATUS, Alert, AlertChannels
from .history import IncidentHistory

NOTIFIED, PAUSED, CANCELLED = "notified", "paused", "cancelled"  # what was done: the keys of ACTION_WORDS
# what a host re-broadcasts: OctoPrint's custom events are these, as plugin_failwatch_<name>
OUTCOMES = (
    "failure_detected",
    "failure_confirmed",
    "verification_rejected",
    "camera_problem",
    "paused",
    "bed_not_clear",
)


class FailureAction(Protocol):
    """What is done to the print on a confirmed failure (`actions.PrintAction`)."""

    def on_confirmed_failure(self, test_run: bool) -> str:
        """Carries out the configured action; returns what was done: notified, paused or cancelled."""

    def paused_for(self, incident: Optional[str]) -> None:
        """The pause just made belongs to this incident."""

    def describe(self, action: str) -> str:
        """What was done, in the alert's words."""


class SharedSnapshot:
    """A picture taken once, when it is first asked for, then shared by everyone who asks (Discord, browser)."""

    def __init__(self, capture: Callable[[], bytes]):
        self._capture = capture
        self._lock = threading.Lock()  # guards the picture: one capture, however many callers
        self._jpeg: Optional[bytes] = None

    def __call__(self) -> bytes:
        with self._lock:
            if self._jpeg is None:
                self._jpeg = self._capture()  # a failed capture is not kept: the next caller tries again
            return self._jpeg


@dataclass(frozen=True)
class Outcome:
    name: str  # one of OUTCOMES
    payload: dict
    snapshot: Optional[SharedSnapshot] = None  # the alert-time picture of a confirmed failure


class Dispatcher:
    def __init__(
        self,
        config: FailwatchConfig,
        channels: AlertChannels,
        action: FailureAction,
        history: Optional[IncidentHistory],
        printer_name: Callable[[], str],
        job: Callable[[], dict],
        snapshot: Callable[[], bytes],
        spend: DailySpend,
        logger: logging.Logger,
        preview: Callable[[], Optional[bytes]] = lambda: None,
    ):
        self._config = config
        self._channels = channels
        self._action = action
        self._history = history
        self._printer_name = printer_name  # read at each alert: a rename shows in the next one
        self._job = job
        self._preview = preview  # the slicer's preview the model was shown, kept with the incident
        self._snapshot = snapshot
        self._spend = spend
        self._logger = logger
        self._print_cost = 0.0  # from the engine's latest status
        self._published_state: Optional[str] = None  # the state last told the channels
        self._open_problems: set[str] = set()  # camera | stopped: alerted once until they clear
        self._handlers: dict[type, Callable[..., Optional[list[Outcome]]]] = {
            StatusChanged: self._status_changed,
            Analysed: self._analysed,
            FailureDetected: self._detected,
            VerificationDecided: self._decided,
            CameraProblem: self._camera_problem,
            CameraRecovered: self._camera_recovered,
            MonitoringStopped: self._monitoring_stopped,
            LocalLooked: lambda event: None,  # the detector's looks are for the tab; MQTT hears of what they start
        }

    def reconfigure(self, config: FailwatchConfig, channels: AlertChannels) -> None:
        if channels is not self._channels:
            self._published_state = None  # new channels are told the state at the next status
        self._config, self._channels = config, channels

    def handle(self, event: EngineEvent) -> list[Outcome]:
        return self._handlers[type(event)](event) or []

    def cost(self) -> dict:
        return {"print_usd": round(self._print_cost, 6), "today_usd": round(self._spend.today(), 6)}

    def _alert(self, kind: str, **facts) -> Alert:
        return Alert(kind, self._printer_name(), job=self._job(), cost=self.cost(), **facts)

    # ----- one handler per event -----

    def _status_changed(self, event: StatusChanged) -> None:
        status = event.status
        self._print_cost = status["counters"]["cost_usd"]
        if status["state"] != self._published_state:  # idle included: a retained state must never go stale
            self._published_state = status["state"]
            watched = status["state"] not in ("idle", "not_configured")
            self._channels.publish(
                self._alert(
                    STATUS,
                    state=status["state"],
                    changed_state=True,
                    verdict=status["last_verdict"] if watched else None,
                    text=status["message"],
                )
            )

    def _analysed(self, event: Analysed) -> None:
        self._open_problems.clear()  # a verdict means camera and model work again
        self._channels.publish(self._alert(STATUS, state=event.state, verdict=event.verdict.as_dict()))

    def _detected(self, event: FailureDetected) -> list[Outcome]:
        return [Outcome("failure_detected", event.summary())]

    def _decided(self, event: VerificationDecided) -> list[Outcome]:
        summary = event.summary()
        if not event.confirmed:
            incident = self._record("rejected", summary, event)
            return [Outcome("verification_rejected", {**summary, "incident": incident})]
        action = self._action.on_confirmed_failure(event.test_run)
        done = self._action.describe(action)
        incident = self._record("confirmed", {**summary, "action": action, "log": done}, event)
        if action == PAUSED:
            self._action.paused_for(incident)
        trigger = event.trigger
        self._logger.warning(
            "Failwatch: %sprint failure confirmed (%d of %d): %s; action: %s",
            "test: " if event.test_run else "",
            event.positives,
            event.series,
            trigger.explanation,
            action,
        )
        snapshot = SharedSnapshot(self._snapshot)
        self._channels.publish(
            self._alert(
                FAILURE,
                verdict=trigger.as_dict(),
                positives=event.positives,
                series=event.series,
                action=action,
                action_words=done,
                snapshot=snapshot,
                test_run=event.test_run,
            )
        )
        outcomes = [Outcome("failure_confirmed", {**summary, "action": action, "incident": incident}, snapshot)]
        if action == PAUSED:
            outcomes.append(Outcome("paused", {"explanation": trigger.explanation, "incident": incident}))
        return outcomes

    def _camera_problem(self, event: CameraProblem) -> list[Outcome]:
        if self._config.alert_camera_problems:
            self._problem("camera", event.text)
        return [Outcome("camera_problem", {"kind": event.kind, "text": event.text})]

    def _camera_recovered(self, event: CameraRecovered) -> None:
        self._open_problems.discard("camera")

    def _monitoring_stopped(self, event: MonitoringStopped) -> None:
        if self._config.alert_monitoring_stopped:
            self._problem("stopped", event.text)

    # ----- the bed check, when a print starts -----

    def bed_not_clear(self, reading: PlateReading, picture: bytes, held: bool) -> Outcome:
        """Something on the build plate as the print starts: alerted with the look's picture."""
        action = "held" if held else NOTIFIED
        self._channels.publish(self._alert(BED, text=reading.explanation, action=action, snapshot=lambda: picture))
        return Outcome("bed_not_clear", {"explanation": reading.explanation, "held": held})

    # ----- helpers -----

    def _problem(self, kind: str, text: str) -> None:
        if kind not in self._open_problems:
            self._open_problems.add(kind)
            self._channels.publish(self._alert(PROBLEM, problem=kind, text=text))

    def _record(self, kind: str, summary: dict, event: VerificationDecided) -> Optional[str]:
        if self._history is None:
            return None
        frames = {"trigger": list(event.trigger_frames), "verification": [list(s) for s in event.verification_frames]}
        job = self._job()
        context = PrintContext.of(job)  # what the model was told of the print with its full looks
        facts = {"job": job, "context": context.words(), "context_lacking": context.lacking()}
        try:
            return self._history.record(kind, {**summary, **facts}, frames, self._preview())
        except OSError as exc:  # a full disk must not stop detection
            self._logger.warning("Failwatch: could not store the incident: %s", exc)
            return None

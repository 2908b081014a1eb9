"""What an alert says, and the interface every alert channel has."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Protocol

STATUS = "status"  # every analysis: the standalone tool's status JSON
FAILURE = "failure"  # a confirmed failure: once per incident
PROBLEM = "problem"  # the camera stopped giving pictures, or errors stopped monitoring: once until it clears
TEST = "test"  # the Send test alert button
BED = "bed"  # the bed check found something on the build plate as a print started
ACTION_WORDS = {"paused": "Print paused", "cancelled": "Print cancelled", "notified": "Only notified"}


@dataclass(frozen=True)
class Alert:
    kind: str
    printer: str
    state: str = ""
    changed_state: bool = False  # a STATUS sent because the state changed (idle, watching...), not a verdict
    verdict: Optional[dict] = None  # the model's verdict (status, failure)
    positives: int = 0  # verification series that agreed, of `series`
    series: int = 0
    action: str = ""  # notified | paused | cancelled; a bed alert's: held | notified
    action_words: str = ""  # what was done, as the alert says it ("Print paused through Moonraker")
    problem: str = ""  # camera | stopped
    text: str = ""
    job: dict = field(default_factory=dict)  # file, progress, elapsed
    cost: dict = field(default_factory=dict)  # print_usd, today_usd
    snapshot: Optional[Callable[[], bytes]] = None  # a picture taken at alert time, when first asked for
    test_run: bool = False
    time: float = field(default_factory=time.time)


class AlertChannel(Protocol):
    name: str

    def publish(self, alert: Alert) -> None:
        """Queues or sends the alert; never blocks the caller for long, never raises."""

    def send_test(self, alert: Alert) -> tuple[bool, str]:
        """Sends a test alert now and says whether it arrived."""

    def status(self) -> str: ...

    def close(self) -> None: ...

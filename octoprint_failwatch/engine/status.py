"""The engine's states and the status it shows: plain data, copied out under the engine's lock."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Optional


class State(str, Enum):
    IDLE = "idle"
    NOT_CONFIGURED = "not_configured"
    WATCHING = "watching"
    VERIFYING = "verifying"
    COOLDOWN = "cooldown"
    ERROR_BACKOFF = "error_backoff"
    PAUSED = "paused"
    SNOOZED = "snoozed"
    CAMERA_PROBLEM = "camera_problem"
    WARMING_UP = "warming_up"
    HEATING = "heating"
    GRACE = "grace"


# holds: states that end by themselves at a time, and what watching again is called then
HOLDS = {
    State.COOLDOWN: "watching again after cooldown",
    State.SNOOZED: "watching again",
    State.GRACE: "watching again",
    State.ERROR_BACKOFF: "watching again after errors",
}
# nothing to snooze: no print watched, or already quiet (a snooze, or a cooldown that the user ends with Resume)
NOT_SNOOZABLE = (State.IDLE, State.NOT_CONFIGURED, State.PAUSED, State.COOLDOWN, State.SNOOZED)


def can_snooze(state: State) -> bool:
    return state not in NOT_SNOOZABLE


def can_resume(state: State) -> bool:
    """Resume watching ends a hold now."""
    return state in HOLDS


def _counters() -> dict:
    return {
        "series": 0,
        "calls": 0,
        "errors": 0,
        "detections": 0,
        "confirmed": 0,
        "rejected": 0,
        "like_dismissed": 0,
        "throttled": 0,
        "local_looks": 0,
        "retries": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_usd": 0.0,
    }


@dataclass
class Status:
    """What the UI, the API and MQTT show about one print's watch."""

    state: str = State.IDLE.value
    message: str = ""
    last_verdict: Optional[dict] = None
    last_check: Optional[float] = None
    until: Optional[float] = None  # wall time the current cooldown, snooze, grace or error backoff ends
    acknowledged: bool = True
    watching_since: Optional[float] = None  # wall time of the first start, for cost per print-hour
    error: str = ""
    camera_problem: Optional[str] = None  # unreachable | black | uniform | frozen
    consecutive_errors: int = 0  # model or camera calls failing in a row: still watching, retrying
    verification: Optional[dict] = None
    counters: dict = field(default_factory=_counters)

    def record_verdict(
        self, verdict: dict, counted: bool, like_dismissed: Optional[str], wall_time: float, recovered: bool = False
    ) -> None:
        """A model call came back: errors (or, `recovered`, throttles) in a row end, the verdict and what it cost are
        counted."""
        if (self.consecutive_errors or recovered) and self.state == State.WATCHING.value:
            self.message = "watching"  # no longer "analysis failing" or "throttled"
        if like_dismissed is not None:
            self.counters["like_dismissed"] += 1
        self.consecutive_errors = 0
        self.error = ""
        self.last_verdict = {**verdict, "counted": counted, "like_dismissed": like_dismissed}
        self.last_check = wall_time
        self.counters["input_tokens"] += verdict["input_tokens"]
        self.counters["output_tokens"] += verdict["output_tokens"]
        self.counters["cost_usd"] += verdict["cost_usd"]

    def throttled(self, text: str, in_a_row: int) -> None:
        """The account's quota refused a routine look (`in_a_row` of them): said while watching."""
        self.error = text
        if self.state == State.WATCHING.value:
            self.message = f"watching, but the account's quota refused the last {in_a_row} look(s) (throttled)"

    def acknowledge(self) -> None:
        """The user saw the failure: in a cooldown, "FAILURE confirmed" is no longer news to shout."""
        self.acknowledged = True
        if self.state == State.COOLDOWN.value:
            self.message = "cooldown after the failure you acknowledged: no model calls until it ends"

    def count_error(self, text: str) -> int:
        """A model or camera call failed; returns how many have failed in a row."""
        self.error = text
        self.consecutive_errors += 1
        self.counters["errors"] += 1
        return self.consecutive_errors

    def copy(self) -> dict:
        """The status as data, with what the user may do now (the browser's buttons follow these)."""
        data = dict(vars(self))
        data["counters"] = dict(self.counters)
        data["can_snooze"] = can_snooze(State(self.state))
        data["can_resume"] = can_resume(State(self.state))
        return data


def idle_status() -> dict:
    return Status(message="no print running").copy()

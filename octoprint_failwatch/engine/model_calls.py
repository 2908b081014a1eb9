"""Model calls under way, each tagged with the run it belongs to, and the retries of those that matter.

A run ends when the engine stops, is paused, or decides a verification round; calls of an ended run
may still come back, and their answers are dropped rather than mixed into the next run.

A series or verification call refused for a passing reason (throttling, a 5xx, a dropped connection)
is tried again, up to `RETRY_ATTEMPTS` in all, after a full-jitter wait on the engine's clock: waits
spread at random so that the printers of a farm throttled together do not come back together. A quick
look is never retried: the next one is due within the interval anyway, and leaving the quota to the
calls that decide a failure is what a shared account needs.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import Future
from enum import Enum
from typing import Any, Callable, Iterator, NamedTuple, Optional, Protocol

from ..analysis.verdict import Verdict
from ..frame import Frame

RETRY_ATTEMPTS = 8  # a series or verification call is made at most this many times: over a minute of waits
RETRY_BASE = 1.0  # seconds: attempt n waits uniform(0, min(RETRY_CAP, RETRY_BASE * 2**n))
RETRY_CAP = 16.0  # a quota is per minute: the later waits reach into the next one


class Executor(Protocol):
    def submit(self, fn: Callable[..., Any], *args: Any) -> Future: ...


class DaemonThreadExecutor:
    """Each call on a daemon thread of its own: a model call or a capture still running never holds up the
    exit of OctoPrint or the daemon (a pool's threads are joined first, and a verification would be decided
    while the rest is already shutting down). The engine bounds how many run at once."""

    def __init__(self, name: str):
        self._name = name

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        threading.Thread(target=run, name=self._name, daemon=True).start()
        return future


class Call(str, Enum):
    """What a model call is for."""

    QUICK = "quick"  # the newest frame alone, the short question
    SERIES = "main"  # a full series: the alarm's, or the standalone tool's regular one
    VERIFY = "verify"  # one of a verification round's fresh series


class Answer(NamedTuple):
    kind: Call
    verdict: Optional[Verdict]
    error: Optional[BaseException]
    frames: list[Frame]
    attempt: int = 1


class ModelCalls:
    def __init__(
        self,
        executor: Executor,
        analyse: Callable[..., Verdict],
        rng: Optional[random.Random] = None,
        on_answer: Callable[[], None] = lambda: None,
    ):
        self._executor = executor
        self._on_answer = on_answer  # told (on the call's thread) when an answer is there: the engine ticks at once
        self._analyse = analyse
        self._random = rng or random.Random()
        self._run = 0
        self._pending: list[tuple[int, Call, Future, list[Frame], int]] = []
        self._retries: list[tuple[float, Call, list[Frame], int]] = []  # (when, kind, frames, attempt)

    def replace(self, analyse: Callable[..., Verdict]) -> None:
        """Another model or backend from the next call on (the settings changed)."""
        self._analyse = analyse

    def new_run(self) -> None:
        """Calls made so far belong to an ended run: their answers will be dropped, their retries not made."""
        self._run += 1
        self._pending = []
        self._retries = []

    def submit(self, kind: Call, frames: list[Frame], attempt: int = 1) -> None:
        series = list(frames)
        future = self._executor.submit(self._analyse, series, kind == Call.QUICK)
        self._pending.append((self._run, kind, future, series, attempt))
        future.add_done_callback(lambda _: self._on_answer())

    def retry(self, answer: Answer, now: float) -> bool:
        """Schedules `answer`'s call again when its error may pass and it is worth it; False otherwise."""
        if (
            answer.kind == Call.QUICK
            or answer.attempt >= RETRY_ATTEMPTS
            or not getattr(answer.error, "retryable", False)
        ):
            return False
        wait = self._random.uniform(0, min(RETRY_CAP, RETRY_BASE * 2**answer.attempt))
        self._retries.append((now + wait, answer.kind, answer.frames, answer.attempt + 1))
        return True

    def resubmit_due(self, now: float) -> int:
        """Makes the retries whose wait is over; returns how many."""
        due = [item for item in self._retries if item[0] <= now]
        self._retries = [item for item in self._retries if item[0] > now]
        for _, kind, frames, attempt in due:
            self.submit(kind, frames, attempt)
        return len(due)

    def __bool__(self) -> bool:
        """Whether a call of the current run is still under way or waiting to be tried again."""
        return bool(self._pending or self._retries)

    def answers(self) -> Iterator[Answer]:
        """The calls that have come back, in the order they were made; lazily, so that a run ended while
        one answer is handled drops the answers after it."""
        done = [item for item in self._pending if item[2].done()]
        self._pending = [item for item in self._pending if not item[2].done()]
        for run, kind, future, frames, attempt in done:
            if run == self._run:
                error = future.exception()
                yield Answer(kind, None if error else future.result(), error, frames, attempt)

"""Test now (`CheckNow`): one full cycle on an engine of its own, beside whatever is being watched.

A test never touches the print: it fires no failure events, pauses nothing, starts no cooldown, keeps
no incident and sends no alert. Its progress and its result (verdict, confidence, explanation, latency,
cost) are shown in the navbar and the tab, marked as a test, until the next test or print.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

from ..engine.engine import Engine, EventSink
from ..engine.events import Analysed, EngineEvent, StatusChanged, VerificationDecided
from ..engine.status import State

TEST_RUN_LIMIT = 15 * 60.0  # a cycle that has not finished by then is abandoned


class CheckNowLog(logging.LoggerAdapter):
    """The engine's log lines for a test say so, so they are never read as the print's watch."""

    def process(self, msg, kwargs):
        return f"Test now — {msg}", kwargs


class CheckNow:
    def __init__(
        self,
        make_engine: Callable[[EventSink, logging.LoggerAdapter], Engine],
        on_analysed: Callable[[EngineEvent], None],
        on_change: Callable[[], None],
        logger: logging.Logger,
        tick_seconds: float,
    ):
        self._make_engine = make_engine
        self._on_analysed = on_analysed  # the tab shows the test's frames too
        self._on_change = on_change  # the browser is told
        self._logger = CheckNowLog(logger, {})
        self._tick_seconds = tick_seconds
        self._lock = threading.Lock()  # guards the running test and its result
        self._engine: Optional[Engine] = None
        self._stopping = threading.Event()
        self.result: Optional[dict] = None
        self._started = 0.0

    def start(self) -> bool:
        """Starts a test unless one is running; False if one is."""
        with self._lock:
            if self._engine is not None:
                return False
            self._started = time.monotonic()
            self.result = {"running": True, "message": "test running"}
            self._engine = self._make_engine(self._on_event, self._logger)
        threading.Thread(target=self._run, name="failwatch-test", daemon=True).start()
        return True

    def new_print(self) -> None:
        """A print starts: the last test's result is no longer news."""
        with self._lock:
            if self._engine is None:
                self.result = None

    def stop(self) -> None:
        self._stopping.set()

    def _on_event(self, event: EngineEvent) -> None:
        if isinstance(event, Analysed):
            self._on_analysed(event)
            self.result = {**(self.result or {}), "verdict": event.verdict.as_dict()}
        elif isinstance(event, VerificationDecided):
            self.result = {
                **(self.result or {}),
                "decision": "failure confirmed" if event.confirmed else "alarm not confirmed",
                "positives": event.positives,
                "series": event.series,
                "verdict": event.trigger.as_dict(),
            }
        elif isinstance(event, StatusChanged) and event.status["state"] == State.VERIFYING.value:
            progress = event.status["verification"] or {}
            self.result = {
                **(self.result or {}),
                "message": f"test verifying {progress.get('done', 0)}/{progress.get('series', 0)}",
            }
        self._on_change()

    def _run(self) -> None:
        engine = self._engine
        if engine is None:  # started only with an engine; nothing to run otherwise
            return
        engine.run_test(self._stopping, self._tick_seconds, TEST_RUN_LIMIT)
        status = engine.status()
        if status["state"] not in (State.IDLE.value, State.NOT_CONFIGURED.value):
            engine.stop()  # abandoned: the limit passed or OctoPrint is shutting down
        with self._lock:
            self.result = {
                **(self.result or {}),
                "running": False,
                "message": status["message"] if status["state"] == State.NOT_CONFIGURED.value else "test finished",
                "error": status["error"],
                "counters": status["counters"],
                "seconds": round(time.monotonic() - self._started, 1),  # the whole test, not one model answer
            }
            self._engine = None
        self._on_change()

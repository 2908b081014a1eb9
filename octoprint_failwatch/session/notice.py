"""The failure notice: the confirmed failure on show until acknowledged — in every open OctoPrint page, with the
alert-time snapshot; the daemon keeps it for Home Assistant's buttons, with no page to show it."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

from ..outcomes.dispatch import Outcome


class FailureNotice:
    def __init__(self, send: Optional[Callable[[dict], None]], logger: logging.Logger):
        self._send = send  # a message to every open page; None where there are no pages (the daemon)
        self._logger = logger
        self.current: Optional[dict] = None  # the failure being shown, until it is acknowledged
        self.snapshot: Optional[bytes] = None  # its alert-time picture, served to the pages

    def show(self, outcome: Outcome) -> None:
        """Shows a confirmed failure; the snapshot is fetched off the caller's thread (the engine's)."""
        payload = outcome.payload
        trigger = payload["trigger"]
        self.current = {
            "incident": payload.get("incident"),
            "explanation": trigger["explanation"],
            "confidence": trigger["confidence"],
            "failure_type": trigger["failure_type"],
            "action": payload["action"],
            "test_run": payload.get("test_run", False),
            "time": time.time(),
        }
        if self._send is None:
            return
        threading.Thread(
            target=self._send_with_snapshot,
            args=(dict(self.current), outcome.snapshot),
            name="failwatch-failure-notice",
            daemon=True,
        ).start()

    def clear(self, incident: Optional[str] = None) -> bool:
        """Takes the notice down (only if it is about `incident`, when given); True if one was shown."""
        if self.current is None or (incident is not None and self.current.get("incident") != incident):
            return False
        self.current = None
        return True

    def _send_with_snapshot(self, failure: dict, snapshot: Optional[Callable[[], bytes]]) -> None:
        if snapshot is not None:
            try:
                self.snapshot = snapshot()
                failure["snapshot"] = True
                if self.current is not None and self.current.get("time") == failure["time"]:
                    self.current["snapshot"] = True  # a page loaded later shows the notice with its picture
            except Exception as exc:
                self._logger.warning("Failwatch: no snapshot for the failure notice: %s", exc)
        if self._send is not None:
            self._send({"type": "failure", **failure})

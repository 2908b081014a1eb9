"""Dollars spent on model calls today, kept per calendar day (local time) so a restart does not reset the budget."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from datetime import date
from pathlib import Path
from typing import Callable, Optional


class DailySpend:
    """Dollars spent on model calls today; thread-safe, persisted atomically when a path is given."""

    def __init__(self, path: Optional[Path] = None, today: Callable[[], date] = date.today):
        self._path = path
        self._today = today
        self._lock = threading.Lock()  # guards the totals and the file
        self._totals: dict[str, float] = self._load()

    def _load(self) -> dict[str, float]:
        if self._path is None or not self._path.exists():
            return {}
        try:
            data = json.loads(self._path.read_text())
            return {str(k): float(v) for k, v in data.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            logging.getLogger(__name__).warning("Failwatch: spend file %s unreadable, starting from zero", self._path)
            return {}

    def today(self) -> float:
        with self._lock:
            return self._totals.get(self._today().isoformat(), 0.0)

    def add(self, dollars: float) -> None:
        with self._lock:
            key = self._today().isoformat()
            self._totals = {key: self._totals.get(key, 0.0) + dollars}  # older days are not needed
            if self._path is not None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                handle, temporary = tempfile.mkstemp(dir=self._path.parent, prefix=".spend")
                with os.fdopen(handle, "w") as file:
                    json.dump(self._totals, file)
                os.replace(temporary, self._path)

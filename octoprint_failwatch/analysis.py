"""The model call as the engine sees it: prepare the frames, ask the backend, price the answer, keep the budget.

The daily spend is kept per calendar day (local time) in a small JSON file in the plugin's data
folder, so a restart does not reset the budget.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Callable, Optional, Sequence

from .config import FailwatchConfig
from .detector import AnalysisError, Verdict
from .frame import Frame
from .imaging import prepare
from .pricing import cost_usd, price_per_1k


def make_backend(config: FailwatchConfig, clock) -> Callable[..., Verdict]:
    if config.model_backend == "openai":
        from .detector.openai import OpenAICompatibleDetector

        return OpenAICompatibleDetector(config)
    from .aws import AwsSession
    from .detector.bedrock import BedrockDetector

    return BedrockDetector(config, AwsSession(config, clock))


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


class Analyser:
    def __init__(self, config: FailwatchConfig, backend: Callable[..., Verdict], spend: DailySpend):
        self._config = config
        self._backend = backend
        self._spend = spend
        self._prices = price_per_1k(config.model_name, config.price_input_per_1k, config.price_output_per_1k)

    def __call__(self, frames: Sequence[Frame], quick: bool = False) -> Verdict:
        budget = self._config.daily_budget_usd
        if budget and self._spend.today() >= budget:
            raise AnalysisError(f"daily budget of ${budget:.2f} reached: no model calls until tomorrow")
        config = self._config
        prepared = [prepare(frame, config.image_long_side, config.jpeg_quality, config.roi) for frame in frames]
        verdict = self._backend(prepared, quick)
        cost = cost_usd(self._prices, verdict.input_tokens, verdict.output_tokens)
        self._spend.add(cost)
        return replace(verdict, cost_usd=cost)

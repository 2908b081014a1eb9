"""The model call as the engine sees it: `analyse(frames, quick) -> Verdict`, or an `AnalysisError`; and the bed
check's, `check_bed(frame) -> PlateReading`.

An `Analyser` prepares the frames (region of interest, size), asks the configured backend (Bedrock's
Converse or an OpenAI-compatible server), prices the answer and keeps the daily budget. The offline backend
(`offline.py`) asks the on-device detector instead. Backends are
small classes with the same call signature, in their own modules, imported only when configured.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Optional, Sequence

from ..config import FailwatchConfig
from ..frame import Frame
from .context import NO_BRIEFING, Briefing, PrintContext
from .imaging import prepare
from .plate import PlateReading
from .pricing import cost_usd, price_per_1k
from .spend import DailySpend
from .verdict import AnalysisError, Verdict

Backend = Callable[[Sequence[Frame], bool, Briefing], Verdict]  # (frames, quick, what the printer says of the print)

__all__ = ["AnalysisError", "Analyser", "DailySpend", "PlateReading", "Verdict", "make_analyser", "make_backend"]


def make_backend(config: FailwatchConfig, clock, detector=None) -> Backend:
    """The configured model backend; its SDK is imported only here, when it is the one in use. `detector`:
    the print's `print_detector.PrintDetector`, which the offline backend judges with."""
    if config.model_backend == "local":
        from .offline import OfflineBackend

        return OfflineBackend(detector)
    if config.model_backend == "openai":
        from .openai import OpenAIBackend

        return OpenAIBackend(config)
    from .aws import AwsSession
    from .bedrock import BedrockBackend

    return BedrockBackend(config, AwsSession(config, clock))


class Analyser:
    """What the engine calls: prepare the frames, ask the backend — with what the printer says of the print, for a
    full look — price the answer, keep the budget."""

    def __init__(
        self,
        config: FailwatchConfig,
        backend: Backend,
        spend: DailySpend,
        job: Callable[[], dict] = dict,
        preview: Callable[[], Optional[bytes]] = lambda: None,
    ):
        self._config = config
        self._backend = backend
        self._spend = spend
        self._job = job  # the printer's job now (printers.base.Printer.job); none without a printer
        self._preview = preview  # the slicer's preview of the finished object (PNG), when the file has one
        self._prices = (
            (0.0, 0.0)
            if config.model_backend == "local"
            else price_per_1k(config.model_name, config.price_input_per_1k, config.price_output_per_1k)
        )

    def _briefing(self) -> Briefing:
        return Briefing(PrintContext.of(self._job()).words(), self._preview())

    def __call__(self, frames: Sequence[Frame], quick: bool = False) -> Verdict:
        self._within_budget()
        config = self._config
        prepared = [prepare(frame, config.image_long_side, config.jpeg_quality, config.roi) for frame in frames]
        verdict = self._backend(prepared, quick, NO_BRIEFING if quick else self._briefing())  # quick stays short
        return replace(verdict, cost_usd=self._paid(verdict.input_tokens, verdict.output_tokens))

    def check_bed(self, frame: Frame) -> PlateReading:
        """Whether the build plate is clear, from one frame (the region of interest, when set: finished parts on a
        shelf behind the printer are no leftovers)."""
        self._within_budget()
        check = getattr(self._backend, "check_bed", None)
        if check is None:
            raise AnalysisError("this model backend has no bed check")
        config = self._config
        reading = check(prepare(frame, config.image_long_side, config.jpeg_quality, config.roi))
        return replace(reading, cost_usd=self._paid(reading.input_tokens, reading.output_tokens))

    def _within_budget(self) -> None:
        budget = self._config.daily_budget_usd
        if budget and self._spend.today() >= budget:
            raise AnalysisError(f"daily budget of ${budget:.2f} reached: no model calls until tomorrow")

    def _paid(self, input_tokens: int, output_tokens: int) -> float:
        cost = cost_usd(self._prices, input_tokens, output_tokens)
        self._spend.add(cost)
        return cost


def make_analyser(
    config: FailwatchConfig,
    clock,
    spend: DailySpend,
    detector=None,
    job: Callable[[], dict] = dict,
    preview: Callable[[], Optional[bytes]] = lambda: None,
) -> Analyser:
    return Analyser(config, make_backend(config, clock, detector), spend, job, preview)

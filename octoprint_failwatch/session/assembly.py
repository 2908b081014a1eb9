"""How an engine is put together — the analyser with the on-device detector, the executors, the warm-up gate —
for every host alike. The plugin and the daemon hand in threads and the wall clock, the replay (`failwatch
evaluate`) a simulated clock and executor: what it replays is what ships."""

from __future__ import annotations

import logging
import random
from typing import Callable, Optional

from ..analysis import Analyser, DailySpend, make_analyser
from ..analysis.local_model import DetectorSlot
from ..analysis.print_detector import PrintDetector
from ..config import FailwatchConfig
from ..engine.engine import Engine, EventSink
from ..engine.model_calls import Executor
from ..engine.parts import Analyse, Clock, EngineParts, Gate, no_gate
from ..frame import Frame


class Assembly:
    def __init__(
        self,
        *,
        clock: Clock,
        spend: DailySpend,
        detector: DetectorSlot,
        model_calls: Executor,
        captures: Optional[Executor],
        logger: logging.Logger,
        start_spread: float = 1.0,
        rng: Optional[random.Random] = None,
        job: Callable[[], dict] = dict,
        preview: Callable[[], Optional[bytes]] = lambda: None,
    ):
        self.clock = clock
        self._job = job  # what the printer says of the print, told to the model with every full look
        self._preview = preview  # the slicer's preview of the finished object, shown with every full look
        self.spend = spend
        self.detector = detector
        self._model_calls = model_calls  # where model calls run: threads, or simulated time
        self._captures = captures  # where frames are taken (None: on the engine's thread)
        self._logger = logger
        # the first look of a print comes at a random point of the first `start_spread` intervals (a farm's printers
        # started together do not call the model in step); the replay starts at once
        self._start_spread = start_spread
        self._rng = rng

    def analyser(self, config: FailwatchConfig, detector: Optional[PrintDetector] = None) -> Analyser:
        """The configured model — or, offline, the print's on-device detector — priced and within the budget."""
        detector = detector or PrintDetector(self.detector)
        return make_analyser(config, self.clock, self.spend, detector, self._job, self._preview)

    def engine(
        self,
        config: FailwatchConfig,
        *,
        capture: Callable[[], Frame],
        on_event: EventSink,
        gate: Optional[Gate] = None,
        wrap: Callable[[Analyse], Analyse] = lambda analyse: analyse,
        logger: Optional[logging.Logger] = None,
    ) -> Engine:
        """An engine looking through `capture`, judging with the configured model (`wrap` may wrap it: the replay
        counts its calls); its on-device detector remembers what this print has shown."""
        detector = PrintDetector(self.detector)
        parts = EngineParts(
            capture=capture,
            analyse=wrap(self.analyser(config, detector)),
            executor=self._model_calls,
            clock=self.clock,
            gate=gate or no_gate,
            start_spread=self._start_spread,
            detector=detector,
            logger=logger or self._logger,
        )
        if self._captures is not None:
            parts.camera_executor = self._captures
        if self._rng is not None:
            parts.rng = self._rng
        return Engine(config, parts, on_event)

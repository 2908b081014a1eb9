"""What an engine is given, in one place: where frames and verdicts come from, where slow work runs, the clock,
the gate and the on-device detector. The engine and its detection read the same `EngineParts`; a host builds it
(`session.assembly`), as do the tests and benches, with only what differs from the defaults."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Protocol

from ..analysis.verdict import Verdict
from ..frame import Frame
from ..sources.health import CameraHealth
from .frame_taker import InlineExecutor
from .local_looks import Detector
from .model_calls import Executor

Analyse = Callable[..., Verdict]  # analyse(frames, quick=False) -> Verdict, raises on errors
Gate = Callable[[], Optional[tuple[str, str]]]  # why not to analyse yet: (state, words), or None


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def time(self) -> float: ...


class SystemClock:
    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)


def no_gate() -> Optional[tuple[str, str]]:
    return None


@dataclass
class EngineParts:
    capture: Callable[[], Frame]  # a picture now, or CameraError
    analyse: Analyse
    executor: Executor  # where model calls run (threads; simulated time in the replay)
    clock: Clock = field(default_factory=SystemClock)
    camera_executor: Executor = field(default_factory=InlineExecutor)  # where frames are taken
    health: Optional[CameraHealth] = None  # black, flat and frozen pictures (default: per the settings)
    gate: Gate = no_gate  # heating, the print's first minutes: nothing worth judging yet
    rng: random.Random = field(default_factory=random.Random)  # retry waits and paces
    # the first look of a print comes at a random point of the first `start_spread` intervals, so that the printers
    # of a farm started together do not look (and call the model) in step
    start_spread: float = 0.0
    detector: Optional[Detector] = None  # the on-device detector's first look, once it is ready
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("octoprint_failwatch.engine"))

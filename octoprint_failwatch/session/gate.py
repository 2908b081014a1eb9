"""When a print is worth judging: not in its first minutes or layers, not while heaters come up.

It reads the printer (`printers.base.Printer`): the job's time printed, progress and Z, and the heaters. Not
every printer says layers, so each new Z height counts as one. A print that was already well under way when
first seen — OctoPrint restarted during an SD print and picked it up — gets no warm-up: its first minutes and
layers are long past.
"""

from __future__ import annotations

import logging
from typing import Callable, Optional, Protocol

from ..config import FailwatchConfig

WARMING_UP, HEATING = "warming_up", "heating"  # the engine's states for them
JOINED_MIDWAY_PERCENT = 5.0  # a print this far along within its first seconds started before we saw it
JOINED_MIDWAY_SECONDS = 30.0


class PrintProgress(Protocol):
    """What the gate reads of a printer (`printers.base.Printer`, or a recording's print in the replay)."""

    def job(self) -> dict: ...

    def temperatures(self) -> dict: ...


class PrintGate:
    def __init__(self, printer: PrintProgress, config: Callable[[], FailwatchConfig], logger: logging.Logger):
        self._printer = printer
        self._config = config  # the current settings (they change on save)
        self._logger = logger
        self._layer_heights: set[float] = set()  # Z heights seen in this print
        self._joined_midway: Optional[bool] = None  # None until the first look at the print's progress

    def new_print(self, already_running: bool = False) -> None:
        """A print starts (or, with `already_running`, was running when Failwatch started)."""
        self._layer_heights.clear()
        self._joined_midway = True if already_running else None

    def reason_to_wait(self) -> Optional[tuple[str, str]]:
        """Why not to analyse yet — ("warming_up" or "heating", in words) — or None."""
        config = self._config()
        job = self._printer.job()
        print_time = job.get("elapsed") or 0
        if self._joined_midway is None:  # a print we saw start is at a few % at most in its first seconds
            self._joined_midway = (
                job.get("progress") or 0
            ) > JOINED_MIDWAY_PERCENT and print_time < JOINED_MIDWAY_SECONDS
            if self._joined_midway:
                self._logger.info("Failwatch: joined a print at %.0f %%, no warm-up", job["progress"])
        if not self._joined_midway:
            warmup = config.warmup_minutes * 60
            if print_time < warmup:
                return WARMING_UP, f"warming up: analysis starts {warmup - print_time:.0f} s into the print"
            if job.get("z") is not None:
                self._layer_heights.add(round(float(job["z"]), 2))
            if len(self._layer_heights) < config.warmup_layers:
                return WARMING_UP, f"warming up: layer {len(self._layer_heights)} of {config.warmup_layers}"
        return self._heating()

    def _heating(self) -> Optional[tuple[str, str]]:
        for heater, reading in self._printer.temperatures().items():
            actual, target = reading.get("actual"), reading.get("target")
            if target and actual is not None and actual < target - 5:
                return HEATING, f"heating: {heater} at {actual:.0f} of {target:.0f} °C"
        return None

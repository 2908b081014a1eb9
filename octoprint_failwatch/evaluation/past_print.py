"""What would Failwatch have done? One past print — an OctoPrint timelapse — replayed on a thread of its own through
what ships, one at a time, cancellable and bounded in time, its state and result for the page.

Free by default: the on-device detector judges alone (offline), with the detector the settings name, or
PrintNanny's. With the model: the settings as they are — the cloud calls cost what the estimate said.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from pathlib import Path
from typing import Callable, Optional

from ..analysis.local_model import PRINTNANNY, DetectorSlot
from ..analysis.pricing import cost_usd, price_per_1k
from ..config import FailwatchConfig
from .recordings import RecordingError, timelapse
from .replay import PrintResult, replay
from .report import timeline_svg

TIME_LIMIT = 15 * 60.0  # seconds of the machine's time a replay may take before it is stopped
QUICK_LOOK_TOKENS = (1300, 120)  # input, output tokens of a quick look at one frame (a generous Nova figure)


class ReplayStopped(Exception):
    """Cancelled by the user, or over its time limit."""


def free_settings(config: FailwatchConfig) -> FailwatchConfig:
    """The settings of a free replay: the on-device detector judges alone."""
    detector = config.local_detector if config.detector_on else PRINTNANNY
    return dataclasses.replace(config, model_backend="local", local_detector=detector)


def estimated_cost(config: FailwatchConfig, seconds: float) -> float:
    """About what a replay with the model costs: a quick look every interval (the detector's cascade: fewer)."""
    every = config.model_look_interval if config.detector_on else config.interval_between_images
    prices = price_per_1k(config.model_name, config.price_input_per_1k, config.price_output_per_1k)
    return seconds / every * cost_usd(prices, *QUICK_LOOK_TOKENS)


class PastPrintReplay:
    def __init__(self, detector_cache: Path, on_change: Callable[[], None], logger: logging.Logger):
        self._detector_cache = detector_cache
        self._on_change = on_change  # the pages are told
        self._logger = logger
        self._lock = threading.Lock()  # guards the state and the stop flag
        self._state: dict = {}
        self._stop = threading.Event()
        self._result: Optional[PrintResult] = None

    @property
    def running(self) -> bool:
        return bool(self._state.get("running"))

    def state(self) -> dict:
        with self._lock:
            return dict(self._state)

    def start(self, path: Path, config: FailwatchConfig, frame_interval: float, with_model: bool) -> None:
        """Starts replaying `path`; ValueError when one is running already."""
        with self._lock:
            if self._state.get("running"):
                raise ValueError("a replay is running already")
            self._stop.clear()
            self._result = None
            self._state = {"running": True, "file": path.name, "with_model": with_model, "progress": 0.0}
        settings = config if with_model else free_settings(config)
        threading.Thread(
            target=self._run, args=(path, settings, frame_interval), name="failwatch-replay", daemon=True
        ).start()
        self._on_change()

    def cancel(self) -> bool:
        if not self.running:
            return False
        self._stop.set()
        return True

    def timeline_svg(self) -> Optional[str]:
        result = self._result
        return None if result is None else timeline_svg(result.as_dict(), result.hours * 3600)

    def _run(self, path: Path, config: FailwatchConfig, frame_interval: float) -> None:
        deadline, said = time.monotonic() + TIME_LIMIT, [0.0]

        def tick(done: float) -> None:
            if self._stop.is_set() or time.monotonic() > deadline:
                raise ReplayStopped("cancelled" if self._stop.is_set() else "stopped: it took longer than 15 min")
            if done - said[0] >= 0.05:  # the page hears every 5 %
                said[0] = done
                self._update(progress=round(done, 3))

        try:
            recording = timelapse(path, frame_interval)
            detector = DetectorSlot(self._detector_cache, self._logger)
            detector.configure(config, wait=True)
            if config.detector_on and not detector.ready:
                raise RecordingError(f"the on-device detector is not available: {detector.message}")
            result = replay(recording, config, detector, None, tick)
        except (ReplayStopped, RecordingError, ValueError) as exc:
            self._update(running=False, error=str(exc))
            return
        except Exception as exc:  # a bug must not take OctoPrint's thread down with it: said, logged
            self._logger.exception("Failwatch: the replay of %s failed", path.name)
            self._update(running=False, error=f"the replay failed: {type(exc).__name__}")
            return
        self._result = result
        summary = {key: value for key, value in result.as_dict().items() if key != "timeline"}
        self._update(running=False, progress=1.0, result=summary, minutes=round(recording.duration / 60, 1))
        self._logger.info("Failwatch: replayed %s: %d alarm(s)", path.name, len(result.alarms))

    def _update(self, **changes) -> None:
        with self._lock:
            self._state = {**self._state, **changes}
        self._on_change()

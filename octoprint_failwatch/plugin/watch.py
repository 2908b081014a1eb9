"""The print's watch: one engine per print, the camera it looks through, and the thread that ticks it."""

from __future__ import annotations

import logging
import threading
from typing import Callable, Optional

from ..config import FailwatchConfig
from ..engine.evidence import LookAlike
from ..engine.monitor import Monitor
from ..engine.status import State


class Watch:
    def __init__(self, make_monitor: Callable[[Callable], Monitor], make_camera: Callable[[], Callable],
                 tick_seconds: float, logger: logging.Logger):
        self._make_monitor = make_monitor  # an engine looking through the given camera
        self._make_camera = make_camera
        self._tick_seconds = tick_seconds
        self._logger = logger
        self._lock = threading.RLock()  # guards the engine, its camera and the thread that ticks it
        self._monitor: Optional[Monitor] = None
        self._camera = None
        self._stopping: Optional[threading.Event] = None  # set to end the thread ticking the engine

    def start(self, reason: str, test_mode: bool, same_print: bool = False) -> None:
        """Starts watching; `same_print` keeps the print's engine: its counters and any cooldown (a resume)."""
        with self._lock:
            if not (same_print and self._monitor is not None):
                self._stop_ticking()
                if self._monitor is not None:
                    self._monitor.stop()
                self._close_camera()
                self._camera = self._make_camera()
                self._monitor = self._make_monitor(self._camera)
            self._logger.info("Failwatch: %s", reason)
            if test_mode:  # only Test now runs a cycle
                self._monitor.stop()
                return
            self._monitor.start()
            if self._stopping is None:
                self._stopping = threading.Event()
                threading.Thread(target=self._monitor.run, args=(self._stopping, self._tick_seconds),
                                 name="failwatch-watch", daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            if self._monitor is not None:
                self._monitor.stop()
            self._stop_ticking()

    def _stop_ticking(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
            self._stopping = None

    def close(self) -> None:
        """OctoPrint shuts down: an open RTSP reader must not outlive it."""
        with self._lock:
            self.stop()
            self._close_camera()

    def _close_camera(self) -> None:
        close = getattr(self._camera, "close", None)
        if close is not None:
            close()

    # ----- what the print and the user do to the engine -----

    def suspend(self) -> None:
        self._with_monitor(lambda monitor: monitor.suspend())

    def grace(self, seconds: float) -> None:
        self._with_monitor(lambda monitor: monitor.grace(seconds))

    def snooze(self, seconds: float) -> bool:
        return bool(self._with_monitor(lambda monitor: monitor.snooze(seconds)))

    def resume_watching(self) -> bool:
        return bool(self._with_monitor(lambda monitor: monitor.resume_watching()))

    def acknowledge(self) -> None:
        self._with_monitor(lambda monitor: monitor.acknowledge())

    def dismiss(self, look_alike: LookAlike, grace_seconds: float) -> None:
        self._with_monitor(lambda monitor: monitor.dismiss(look_alike, grace_seconds))

    def withdraw_dismissal(self, incident: str) -> None:
        self._with_monitor(lambda monitor: monitor.withdraw_dismissal(incident))

    def reconfigure(self, config: FailwatchConfig, new_camera: bool, analyse: Optional[Callable]) -> None:
        """New settings for the engine under way, keeping its state; a new camera when its settings changed."""
        with self._lock:
            if self._monitor is None:
                return
            capture = None
            if new_camera:
                self._close_camera()
                self._camera = capture = self._make_camera()
            self._monitor.reconfigure(config, capture, analyse)

    def _with_monitor(self, action: Callable[[Monitor], object]) -> object:
        with self._lock:
            return action(self._monitor) if self._monitor is not None else None

    @property
    def state(self) -> State:
        monitor = self._monitor
        return monitor.state if monitor is not None else State.IDLE

    def status(self) -> Optional[dict]:
        """The engine's status, or None before the first print; no lock: the engine calls back under its own."""
        monitor = self._monitor
        return monitor.status() if monitor is not None else None

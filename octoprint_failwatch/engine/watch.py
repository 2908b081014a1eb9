"""The print's watch: one engine per print, the camera it looks through, and the thread that ticks it (every live
host keeps one, through `session.Session`)."""

from __future__ import annotations

import logging
import threading
from typing import Callable, Optional, TypeVar

from ..config import FailwatchConfig
from ..sources.base import FrameSource
from .engine import Engine
from .status import State

T = TypeVar("T")


class Watch:
    def __init__(
        self,
        make_engine: Callable[[FrameSource], Engine],
        make_camera: Callable[[], FrameSource],
        tick_seconds: float,
        logger: logging.Logger,
    ):
        self._make_engine = make_engine  # an engine looking through the given camera
        self._make_camera = make_camera
        self._tick_seconds = tick_seconds
        self._logger = logger
        self._lock = threading.RLock()  # guards the engine, its camera and the thread that ticks it
        self._engine: Optional[Engine] = None
        self._camera: Optional[FrameSource] = None
        self._stopping: Optional[threading.Event] = None  # set to end the thread ticking the engine

    def start(self, reason: str, test_mode: bool, same_print: bool = False) -> None:
        """Starts watching; `same_print` keeps the print's engine: its counters and any cooldown (a resume)."""
        with self._lock:
            engine = self._engine
            resumed = same_print and engine is not None
            if engine is None or not same_print:
                self._stop_ticking()
                if engine is not None:
                    engine.stop()
                self._close_camera()
                self._camera = self._make_camera()
                engine = self._engine = self._make_engine(self._camera)
            self._logger.info("Failwatch: %s", reason)
            if test_mode:  # only Test now runs a cycle
                engine.stop()
                return
            engine.start(resumed=resumed)
            if self._stopping is None:
                self._stopping = threading.Event()
                threading.Thread(
                    target=engine.run,
                    args=(self._stopping, self._tick_seconds),
                    name="failwatch-watch",
                    daemon=True,
                ).start()

    def run_test(self, make_engine: Callable[[FrameSource], Engine], stopping: threading.Event, limit: float) -> None:
        """One cycle now, on this thread, through the watch's camera (`failwatch once`): `make_engine` makes the
        engine for it."""
        with self._lock:
            self._stop_ticking()
            self._close_camera()
            self._camera = self._make_camera()
            self._engine = engine = make_engine(self._camera)
        engine.run_test(stopping, self._tick_seconds, limit)

    def stop(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.stop()
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

    def snapshot(self) -> bytes:
        """A picture now, through the watch's camera (one camera per watch); through a camera of its own, closed
        after, while no print is watched."""
        with self._lock:
            camera = self._camera
        if camera is not None:
            return camera().jpeg
        camera = self._make_camera()
        try:
            return camera().jpeg
        finally:
            close = getattr(camera, "close", None)
            if close is not None:
                close()

    def control(self, action: Callable[[Engine], T]) -> Optional[T]:
        """What the print or the user does to the print's engine (`Engine.snooze`, `Engine.suspend`, ...);
        None when no print has been watched yet."""
        with self._lock:
            return action(self._engine) if self._engine is not None else None

    def reconfigure(self, config: FailwatchConfig, new_camera: bool, analyse: Optional[Callable]) -> None:
        """New settings for the engine under way, keeping its state; a new camera when its settings changed."""
        with self._lock:
            if self._engine is None:
                return
            capture = None
            if new_camera:
                self._close_camera()
                self._camera = capture = self._make_camera()
            self._engine.reconfigure(config, capture, analyse)

    @property
    def state(self) -> State:
        engine = self._engine
        return engine.state if engine is not None else State.IDLE

    def status(self) -> Optional[dict]:
        """The engine's status, or None before the first print; no lock: the engine calls back under its own."""
        engine = self._engine
        return engine.status() if engine is not None else None

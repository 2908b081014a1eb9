"""Frames taken on a thread of their own, each checked for a live picture before it is handed over.

A camera can be slow — an RTSP stream takes seconds to open, an HTTP camera may hang until its timeout
— and the engine must not wait on it: it asks for a frame and picks it up on a later tick. One frame is
asked for at a time; a frame asked for by a run that has since ended is dropped.
"""

from __future__ import annotations

from concurrent.futures import Future
from enum import Enum
from typing import Callable, NamedTuple, Optional, Union

from ..analysis.verdict import Verdict
from ..frame import CameraError, Frame
from ..sources.health import CameraHealth
from .model_calls import Executor

Inspect = Callable[[Frame], Optional[Verdict]]  # the on-device detector's look at a live frame


class Purpose(str, Enum):
    """What a frame is taken for."""

    LOOK = "look"  # the regular cadence: a look (the detector's, the model's quick one) and the next series
    VERIFY = "verify"  # a verification round's
    RECHECK = "recheck"  # is the camera back?


class Taken(NamedTuple):
    purpose: Purpose
    result: Union[Frame, CameraError]
    local: Union[Verdict, Exception, None] = None  # what the detector said, or why it could not say


class FrameTaker:
    def __init__(
        self,
        capture: Callable[[], Frame],
        health: CameraHealth,
        executor: Executor,
        on_taken: Callable[[], None] = lambda: None,
    ):
        self._capture = capture
        self._health = health
        self._executor = executor
        self._on_taken = on_taken  # told (on the camera's thread) when a frame is there: the engine ticks at once
        self._pending: Optional[tuple[Purpose, Future]] = None
        self._released = True  # the camera was told no frame is due soon

    def replace(self, capture: Callable[[], Frame], health: CameraHealth) -> None:
        """Another camera from the next frame on (the settings changed)."""
        self._capture, self._health = capture, health

    def request(self, purpose: Purpose, inspect: Optional[Inspect] = None) -> None:
        """Asks for a frame; `inspect` runs on it on the camera's thread once it is known to be live."""
        self._released = False
        future = self._executor.submit(self._take, inspect)
        self._pending = (purpose, future)
        future.add_done_callback(lambda _: self._on_taken())

    def release(self) -> None:
        """No frame is due soon: a camera that holds a stream open (RTSP) closes it now (told once)."""
        if self._released:
            return
        self._released = True
        release = getattr(self._capture, "release", None)
        if release is not None and self._pending is None:
            release()

    @property
    def busy(self) -> bool:
        return self._pending is not None

    def forget(self) -> None:
        """The frame asked for is no longer wanted (the run ended); a capture under way still finishes."""
        self._pending = None

    def taken(self) -> Optional[Taken]:
        """The frame asked for, once it is there."""
        if self._pending is None or not self._pending[1].done():
            return None
        purpose, future = self._pending
        self._pending = None
        error = future.exception()
        if error is None:
            return Taken(purpose, *future.result())
        return Taken(purpose, error if isinstance(error, CameraError) else CameraError(f"camera: {error}"))

    def _take(self, inspect: Optional[Inspect]) -> tuple[Frame, Union[Verdict, Exception, None]]:
        frame = self._capture()
        problem = self._health.check(frame.jpeg, frame.captured_at)
        if problem:
            kind, text = problem
            raise CameraError(text, kind)
        if inspect is None:
            return frame, None
        try:
            return frame, inspect(frame)
        except Exception as exc:  # the detector failing must not lose the frame: the model still sees it
            return frame, exc


class InlineExecutor:
    """Takes the frame on the caller's thread at once: for simulated time, where a capture takes no time."""

    def submit(self, fn: Callable, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future

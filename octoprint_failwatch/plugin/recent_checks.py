"""What the Failwatch tab shows of the watch: the newest analysed series and this print's confidence timeline."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Optional

from ..engine.events import Analysed, EngineEvent

TIMELINE_LENGTH = 2160  # checks kept (6 h at a quick check every 10 s)


class RecentChecks:
    def __init__(self, length: int = TIMELINE_LENGTH):
        self._lock = threading.Lock()  # guards the frames and the timeline: engine and request threads meet here
        self._frames: list[bytes] = []
        self._timeline: deque = deque(maxlen=length)

    def new_print(self) -> None:
        with self._lock:
            self._timeline.clear()

    def record(self, event: EngineEvent) -> None:
        """Keeps what an analysis showed; other events are not for the tab."""
        if isinstance(event, Analysed):
            self.add(event, time.time())

    def add(self, event: Analysed, wall_time: float) -> None:
        with self._lock:
            self._frames = [frame.jpeg for frame in event.frames]
            self._timeline.append({"time": wall_time, "confidence": event.verdict.confidence,
                                   "failed": event.verdict.print_failed})

    def frame(self, index: int) -> Optional[bytes]:
        with self._lock:
            return self._frames[index] if 0 <= index < len(self._frames) else None

    def frame_count(self) -> int:
        with self._lock:
            return len(self._frames)

    def timeline(self) -> list[dict]:
        with self._lock:
            return list(self._timeline)

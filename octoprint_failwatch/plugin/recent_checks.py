"""What the Failwatch tab shows of the watch: the newest analysed series and this print's timeline — the model's
confidence at each check, and the on-device detector's score beside it."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Optional

from ..engine.events import Analysed, EngineEvent, LocalLooked

TIMELINE_LENGTH = 2160  # checks kept (6 h at a quick check every 10 s)
DETECTOR_BUCKET = 10.0  # seconds: the detector's looks are kept as their best score per bucket (6 h in as many)


class RecentChecks:
    def __init__(self, length: int = TIMELINE_LENGTH):
        self._lock = threading.Lock()  # guards the frames and the timeline: engine and request threads meet here
        self._frames: list[bytes] = []
        self._timeline: deque = deque(maxlen=length)
        self._detector: deque = deque(maxlen=length)

    def new_print(self) -> None:
        with self._lock:
            self._timeline.clear()
            self._detector.clear()

    def record(self, event: EngineEvent) -> None:
        """Keeps what an analysis showed; other events are not for the tab."""
        if isinstance(event, Analysed):
            self.add(event, time.time())
        elif isinstance(event, LocalLooked):
            self.add_local(event, time.time())

    def add(self, event: Analysed, wall_time: float) -> None:
        with self._lock:
            self._frames = [frame.jpeg for frame in event.frames]
            self._timeline.append(
                {
                    "time": wall_time,
                    "confidence": event.verdict.confidence,
                    "failed": event.verdict.print_failed,
                    "source": event.verdict.source,
                }
            )

    def add_local(self, event: LocalLooked, wall_time: float) -> None:
        """The detector's score, beside the model's on the timeline (its frames are not kept: too many)."""
        verdict = event.verdict
        if verdict.source != "detector":  # a picture change is no score: its alarm is in the incidents
            return
        with self._lock:
            last = self._detector[-1] if self._detector else None
            if last is not None and wall_time - last["since"] < DETECTOR_BUCKET:
                last.update(
                    time=wall_time,
                    confidence=max(last["confidence"], verdict.confidence),
                    failed=last["failed"] or verdict.print_failed,
                )
            else:
                self._detector.append(
                    {
                        "time": wall_time,
                        "since": wall_time,
                        "confidence": verdict.confidence,
                        "failed": verdict.print_failed,
                        "source": "detector",
                    }
                )

    def frame(self, index: int) -> Optional[bytes]:
        with self._lock:
            return self._frames[index] if 0 <= index < len(self._frames) else None

    def frame_count(self) -> int:
        with self._lock:
            return len(self._frames)

    def timeline(self) -> list[dict]:
        """The model's checks and the detector's scores, in time order (`source` tells them apart)."""
        with self._lock:
            detector = [{key: value for key, value in entry.items() if key != "since"} for entry in self._detector]
            return sorted([*self._timeline, *detector], key=lambda entry: entry["time"])

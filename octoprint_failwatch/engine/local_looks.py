"""The local first look: with an on-device detector ready, every frame is looked at for free, on the machine.

A frame every `local_interval` seconds goes to the detector (on the camera's thread, beside the capture).
A flagged frame starts at once what a failing quick look starts — the full series, from frames already
taken `interval_between_images` apart, and the verification — with no cloud call first. Offline (the
detector judges the series too, 2 flagged frames of N), the alarm waits for a second flagged frame among
the newest N and its series is those newest frames: a series reaching back before the onset would be
rejected by the same rule that judges it. The vision
model's quick look goes on every `model_look_interval` seconds as the safety net for what the detector
was not trained to see (detachment, a layer shift).

A detector that keeps flagging a look-alike must not cost more than today: after an alarm it raised is
rejected, its triggers wait `MUTE_FIRST` seconds, twice as long after each further rejection, up to
`MUTE_MAX` (a persistent look-alike then costs a verification every 15 minutes: with the safety-net looks about
124 calls an hour, against the 360 quick looks of an hour without the detector). A confirmed failure
ends the mute.
"""

from __future__ import annotations

from typing import Optional, Protocol

from ..analysis.verdict import Verdict
from ..config import FailwatchConfig
from ..frame import Frame

MUTE_FIRST = 60.0  # seconds the detector's triggers wait after the first of its alarms is rejected
MUTE_MAX = 15 * 60.0


class Detector(Protocol):
    """What the engine needs of the on-device detector (`analysis.local_model.DetectorSlot`)."""

    @property
    def ready(self) -> bool: ...

    def look(self, frame: Frame) -> Optional[Verdict]: ...


class LocalLooks:
    def __init__(self, config: FailwatchConfig, detector: Optional[Detector]):
        self._config = config
        self.detector = detector
        # the frames of the last series' span, each with whether the detector flagged it: the series is picked here
        self._history: list[tuple[Frame, bool]] = []
        self._muted_until = 0.0
        self._mute = MUTE_FIRST
        self._next_model_look = 0.0

    def reconfigure(self, config: FailwatchConfig) -> None:
        self._config = config

    @property
    def active(self) -> bool:
        return self.detector is not None and self.detector.ready

    def look(self, frame: Frame) -> Optional[Verdict]:
        """The detector's verdict on the frame (None while it is not ready)."""
        return self.detector.look(frame) if self.detector is not None else None

    @property
    def gap(self) -> float:
        return self._config.local_interval

    # ----- the frames -----

    @property
    def offline(self) -> bool:
        return self._config.model_backend == "local"

    def add(self, frame: Frame, flagged: bool = False) -> None:
        """Keeps the frame while it may be part of the next series."""
        span = (self._config.images_per_series - 1) * self._config.interval_between_images + 2 * self.gap
        self._history = [
            (old, old_flagged) for old, old_flagged in self._history if frame.captured_at - old.captured_at <= span
        ] + [(frame, flagged)]

    def enough_flagged(self) -> bool:
        """Whether the alarm may go: at once, or offline once the newest N frames hold the 2 the series needs."""
        if not self.offline:
            return True
        newest = self._history[-self._config.images_per_series :]
        needed = min(2, self._config.images_per_series)
        return sum(flagged for _, flagged in newest) >= needed

    def series(self) -> list[Frame]:
        """The newest frame and those about `interval_between_images` before it, oldest first: the series the
        regular cadence would have taken (shorter at the start of a print, before the span is filled).
        Offline: the newest N frames the detector looked at."""
        frames = [frame for frame, _ in self._history]
        if not frames:
            return []
        if self.offline:
            return frames[-self._config.images_per_series :]
        spacing = self._config.interval_between_images
        picked = [frames[-1]]
        for step in range(1, self._config.images_per_series):
            target = frames[-1].captured_at - step * spacing
            earlier = [f for f in frames if f.captured_at < picked[-1].captured_at]
            if not earlier:
                break
            picked.append(min(earlier, key=lambda f: abs(f.captured_at - target)))
        return picked[::-1]

    def clear(self) -> None:
        self._history = []

    # ----- the triggers and the safety net -----

    def may_trigger(self, now: float) -> bool:
        return now >= self._muted_until

    def alarm_rejected(self, now: float) -> float:
        """An alarm the detector raised was not confirmed: its triggers wait; returns for how long."""
        wait = self._mute
        self._muted_until = now + wait
        self._mute = min(MUTE_MAX, self._mute * 2)
        return wait

    def alarm_confirmed(self) -> None:
        self._mute, self._muted_until = MUTE_FIRST, 0.0

    def model_look_due(self, now: float) -> bool:
        return not self.offline and now >= self._next_model_look

    def model_look_in(self, now: float, seconds: float) -> None:
        """The next safety-net look comes `seconds` from now."""
        self._next_model_look = now + seconds

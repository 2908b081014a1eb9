"""The local first look: with an on-device detector ready, every frame is looked at for free, on the machine, by two
local eyes: the detector, and the picture-change eye (`analysis.picture_change`) for the failures the detector was
not trained to see — a part knocked loose or swept off, a layer shift. A frame the detector flags is its alarm;
otherwise a change of the picture beyond the print's growth is the change eye's (not offline: the detector, the
judge there, sees spaghetti only, so it could confirm no change).

A frame every `local_interval` seconds goes to the detector (on the camera's thread, beside the capture).
A flagged frame starts at once what a failing quick look starts — the full series, from frames already
taken `interval_between_images` apart, and the verification — with no cloud call first. Offline (the
detector judges the series too, 2 flagged frames of N), the alarm waits for a second flagged frame among
the newest N and its series is those newest frames: a series reaching back before the onset would be
rejected by the same rule that judges it. The vision model's quick look goes on every `model_look_interval`
seconds as the safety net for what neither eye sees.

An eye that keeps flagging a look-alike must not cost more than today: after an alarm it raised is rejected, its
triggers wait `MUTE_FIRST` seconds, twice as long after each further rejection, up to `MUTE_MAX` (a persistent
look-alike then costs a verification every 15 minutes: with the safety-net looks about 124 calls an hour, against
the 360 quick looks of an hour without the detector). Each eye has its own wait: a spaghetti look-alike does not
blind the change eye. A confirmed failure ends them.
"""

from __future__ import annotations

import logging
from typing import Optional, Protocol, Union

from ..analysis.picture_change import PictureChange
from ..analysis.verdict import Verdict
from ..config import FailwatchConfig
from ..frame import Frame
from .pacing import LookPace

MUTE_FIRST = 60.0  # seconds an eye's triggers wait after the first of its alarms is rejected
MUTE_MAX = 15 * 60.0
LOCAL_EYES = {"detector": "the on-device detector", "change": "the picture-change eye"}


class Detector(Protocol):
    """What the engine needs of the on-device detector (`analysis.local_model.DetectorSlot`)."""

    @property
    def ready(self) -> bool: ...

    def look(self, frame: Frame) -> Optional[Verdict]: ...


class LocalLooks:
    def __init__(self, config: FailwatchConfig, detector: Optional[Detector], logger: logging.Logger):
        self._config = config
        self.detector = detector
        self._logger = logger
        self._detector_failing = False  # said once in the log, not at every frame
        # the frames of the last series' span, each with whether the detector flagged it: the series is picked here
        self._history: list[tuple[Frame, bool]] = []
        self._changes = PictureChange()
        self._muted_until = dict.fromkeys(LOCAL_EYES, 0.0)
        self._mute = dict.fromkeys(LOCAL_EYES, MUTE_FIRST)
        self._next_model_look = 0.0

    def reconfigure(self, config: FailwatchConfig) -> None:
        self._config = config

    @property
    def active(self) -> bool:
        return self.detector is not None and self.detector.ready

    def look(self, frame: Frame) -> Optional[Verdict]:
        """The local eyes' verdict on the frame: the detector's, or the change eye's when the detector flags nothing
        and the picture changed (None while the detector is not ready). Runs on the camera's thread."""
        verdict = self.detector.look(frame) if self.detector is not None else None
        if verdict is None or verdict.print_failed or self.offline:
            return verdict
        change = self._changes.observe(frame, self._config.roi)
        return change.verdict() if change is not None else verdict

    def new_watch(self) -> None:
        """A watch (re)starts: the change eye holds new frames against the picture as it is from now."""
        self._changes.forget()

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

    def answered(self, local: Union[Verdict, Exception, None]) -> None:
        """What the local eyes made of a frame: a detector that fails is said once (the model's looks go on)."""
        if isinstance(local, Exception) and not self._detector_failing:
            self._logger.warning("Failwatch on-device detector failed, the model's looks go on: %s", local)
        self._detector_failing = isinstance(local, Exception)

    def may_alarm(self, now: float, local: Verdict) -> bool:
        """Whether a flag of a local eye raises the alarm now (not while the eye waits after a rejected one)."""
        return now >= self._muted_until[local.source] and self.enough_flagged()

    def change_beginning(self, local: Verdict, now: float) -> bool:
        """The change eye sees a change that may be raised once it has lasted its looks in a row."""
        return local.source == "change" and now >= self._muted_until["change"]

    def alarm_rejected(self, now: float, quick: Optional[Verdict]) -> None:
        """An alarm was not confirmed: if a local eye raised it (`quick`), that eye's alarms wait, twice as long
        after each one; the change eye is told its change was rejected (one that comes back there is the print's)."""
        eye = quick.source if quick is not None else "model"
        if eye not in LOCAL_EYES:
            return
        if eye == "change":
            self._changes.last_rejected()
        wait = self._mute[eye]
        self._muted_until[eye] = now + wait
        self._mute[eye] = min(MUTE_MAX, wait * 2)
        self._logger.info("Failwatch: %s's alarm was not confirmed; its alarms wait %.0f s", LOCAL_EYES[eye], wait)

    def alarm_confirmed(self) -> None:
        self._mute = dict.fromkeys(LOCAL_EYES, MUTE_FIRST)
        self._muted_until = dict.fromkeys(LOCAL_EYES, 0.0)

    def model_look_now(self, now: float, pace: LookPace) -> bool:
        """Whether the model's safety-net look is due now; if so, the next is scheduled (later while the account's
        quota is spent; at today's pace while the detector fails: the watch is no blinder than without it)."""
        if self.offline or now < self._next_model_look:
            return False
        every = self._config.interval_between_images if self._detector_failing else self._config.model_look_interval
        self.model_look_in(now, pace.next_gap(every, now))
        return True

    def model_look_in(self, now: float, seconds: float) -> None:
        """The next safety-net look comes `seconds` from now."""
        self._next_model_look = now + seconds

"""Replay evaluator: your own labelled timelapses through what ships — the engine as the session assembles it, with
the on-device detector, the warm-up gate and the configured model — on a simulated clock.

    failwatch evaluate DATASET [--compare "key=value,..." "key=value,..."] [--json OUT] [--latency S]

DATASET is a folder with `labels.json`: a list of prints, each
    {"print": "benchy-1", "frames": "benchy-1/", "frame_interval": 2.0, "onset": 312.0}
`frames` is a folder of JPEGs (sorted by name, one every `frame_interval` seconds) or a video file;
`onset` is when the failure becomes visible, in seconds from the start, or null for a healthy print; an optional
`"print_time_at_start"` says how far into the print the recording starts (default 0: at the print's start, so
the warm-up minutes pass before anything is judged, as they would at the printer).
An optional `"not_a_failure": [seconds, ...]` says "Not a failure" on the alarm confirmed last before each
of those times, as a user would: the rest of the print then counts that look-alike as the plugin does.
The model is configured as for the daemon (environment variables); each setting group of --compare
is applied on top. Time is simulated: no waiting, a model call takes its measured latency (or
--latency). Reported per print and overall: precision, recall, false alarms per print-hour, time from
onset to confirmation, calls, tokens and cost.
"""

from __future__ import annotations

import json
import logging
import math
import random
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from ..analysis import AnalysisError, DailySpend, Verdict
from ..analysis.local_model import DetectorSlot, default_cache
from ..config import FailwatchConfig, build_config
from ..engine.events import VerificationDecided
from ..engine.evidence import LookAlike
from ..engine.parts import Analyse
from ..engine.simulation import Simulation
from ..frame import Frame
from ..session.assembly import Assembly
from ..session.gate import PrintGate

STEP = 0.25


@dataclass
class Recording:
    name: str
    frames: list[bytes]
    frame_interval: float
    onset: Optional[float]
    not_a_failure: list[float] = field(default_factory=list)  # when the user dismisses the last alarm
    print_time_at_start: float = 0.0  # seconds into the print at the first frame

    @property
    def duration(self) -> float:
        return len(self.frames) * self.frame_interval


def load_dataset(folder: Path) -> list[Recording]:
    labels = json.loads((folder / "labels.json").read_text())
    recordings = []
    for entry in labels:
        source = folder / entry["frames"]
        interval = float(entry.get("frame_interval", 1.0))
        if source.is_dir():
            frames = [p.read_bytes() for p in sorted(source.iterdir()) if p.suffix.lower() in (".jpg", ".jpeg")]
        else:
            frames = _video_frames(source, interval)
        if not frames:
            raise ValueError(f"{entry['print']}: no frames in {source}")
        recordings.append(
            Recording(
                entry["print"],
                frames,
                interval,
                entry.get("onset"),
                sorted(float(t) for t in entry.get("not_a_failure") or []),
                float(entry.get("print_time_at_start") or 0.0),
            )
        )
    return recordings


def _video_frames(path: Path, interval: float) -> list[bytes]:
    import cv2

    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 1.0
    every = max(1, round(fps * interval))
    frames, index = [], 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        if index % every == 0:
            frames.append(cv2.imencode(".jpg", image)[1].tobytes())
        index += 1
    capture.release()
    return frames


@dataclass
class PrintResult:
    name: str
    onset: Optional[float]
    hours: float
    confirmations: list[float] = field(default_factory=list)
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    errors: int = 0

    @property
    def detected_after(self) -> Optional[float]:
        if self.onset is None:
            return None
        after = [t for t in self.confirmations if t >= self.onset]
        return after[0] - self.onset if after else None

    @property
    def false_alarms(self) -> int:
        return sum(1 for t in self.confirmations if self.onset is None or t < self.onset)


class RecordedPrint:
    """The printer as the recording knows it, for the warm-up gate: the time printed, nothing of its heaters."""

    def __init__(self, recording: Recording, clock):
        self._recording = recording
        self._clock = clock

    def job(self) -> dict:
        return {
            "file": self._recording.name,
            "progress": None,
            "z": None,
            "elapsed": self._recording.print_time_at_start + self._clock.now,
        }

    def temperatures(self) -> dict:
        return {}


def replay(
    recording: Recording, config: FailwatchConfig, detector: DetectorSlot, latency: Optional[float]
) -> PrintResult:
    simulation = Simulation(latency)
    clock = simulation.clock
    result = PrintResult(recording.name, recording.onset, recording.duration / 3600)
    logger = logging.getLogger("failwatch.replay")
    # what the session builds for a print, on simulated time: the first look at once, the same draws every run
    assembly = Assembly(
        clock=clock,
        spend=DailySpend(),
        detector=detector,
        model_calls=simulation.executor,
        captures=None,
        logger=logger,
        start_spread=0.0,
        rng=random.Random(0),
    )
    gate = PrintGate(RecordedPrint(recording, clock), lambda: config, logger)
    gate.new_print()

    def capture() -> Frame:
        # the last frame stands until the replay ends: the end of a recording is no camera problem
        index = min(int(clock.now // recording.frame_interval), len(recording.frames) - 1)
        return Frame(recording.frames[index], clock.now, clock.time())

    def counting(analyse: Analyse) -> Analyse:
        def counted(frames: Sequence[Frame], quick: bool = False) -> Verdict:
            result.calls += 1
            try:
                verdict = analyse(frames, quick)
            except AnalysisError:
                result.errors += 1
                raise
            result.input_tokens += verdict.input_tokens
            result.output_tokens += verdict.output_tokens
            result.cost_usd += verdict.cost_usd
            return verdict

        return counted

    confirmed: list[VerificationDecided] = []
    dismissals = list(recording.not_a_failure)

    def on_event(event) -> None:
        if isinstance(event, VerificationDecided) and event.confirmed:
            result.confirmations.append(clock.now)
            confirmed.append(event)

    def dismiss_when_labelled() -> None:
        while dismissals and clock.now >= dismissals[0]:
            dismissals.pop(0)
            if confirmed:  # "Not a failure" on the last alarm, as the session's Feedback does
                last = confirmed[-1]
                verdicts = [v.as_dict() for v in (last.quick, last.trigger, *last.results) if v is not None]
                engine.dismiss(LookAlike.of(f"alarm-{len(confirmed)}", verdicts), config.resume_grace_seconds)

    engine = assembly.engine(config, capture=capture, on_event=on_event, gate=gate.reason_to_wait, wrap=counting)
    engine.start()
    # the last tick falls within the recording's last frame, not on the first moment after it
    simulation.run(engine, recording.duration - STEP, STEP, dismiss_when_labelled)
    return result


def summarise(results: list[PrintResult]) -> dict:
    failures = [r for r in results if r.onset is not None]
    detected = [r for r in failures if r.detected_after is not None]
    false_alarms = sum(r.false_alarms for r in results)
    true_alarms = len(detected)
    hours = sum(r.hours for r in results)
    delays = [r.detected_after for r in detected if r.detected_after is not None]
    return {
        "prints": len(results),
        "precision": true_alarms / (true_alarms + false_alarms) if true_alarms + false_alarms else None,
        "recall": true_alarms / len(failures) if failures else None,
        "false_alarms_per_print_hour": false_alarms / hours if hours else 0.0,
        "onset_to_confirmed_median": statistics.median(delays) if delays else None,
        "onset_to_confirmed_max": max(delays) if delays else None,
        "calls": sum(r.calls for r in results),
        "input_tokens": sum(r.input_tokens for r in results),
        "output_tokens": sum(r.output_tokens for r in results),
        "cost_usd": sum(r.cost_usd for r in results),
        "errors": sum(r.errors for r in results),
    }


def evaluate(dataset: Path, base: dict, groups: list[dict], latency: Optional[float]) -> dict:
    recordings = load_dataset(dataset)
    report = {}
    for group in groups:
        name = ", ".join(f"{k}={v}" for k, v in group.items()) or "settings as configured"
        config, errors = build_config({**base, **group})
        if errors:
            raise ValueError(f"{name}: " + "; ".join(f"{k} {m}" for k, m in errors.items()))
        if config.not_ready():  # a replay that could judge nothing would report zeros as if all were well
            raise ValueError(f"{name}: {config.not_ready()}")
        results = [replay(recording, config, ready_detector(config), latency) for recording in recordings]
        report[name] = {
            "overall": summarise(results),
            "prints": [
                {
                    "print": r.name,
                    "onset": r.onset,
                    "confirmed_at": r.confirmations,
                    "onset_to_confirmed": r.detected_after,
                    "false_alarms": r.false_alarms,
                    "calls": r.calls,
                    "input_tokens": r.input_tokens,
                    "cost_usd": r.cost_usd,
                    "errors": r.errors,
                }
                for r in results
            ],
        }
    return report


def ready_detector(config: FailwatchConfig) -> DetectorSlot:
    """The on-device detector the settings name, loaded before the replay starts (off: an empty slot)."""
    slot = DetectorSlot(default_cache(), logging.getLogger("failwatch.replay"))
    slot.configure(config, wait=True)
    if config.detector_on and not slot.ready:
        raise ValueError(f"the on-device detector ({config.local_detector}) is not available: {slot.message}")
    return slot


def _figure(value, digits=2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if math.isfinite(value) else "–"
    return str(value)


def print_table(report: dict, out=sys.stdout) -> None:
    rows = [
        "precision",
        "recall",
        "false_alarms_per_print_hour",
        "onset_to_confirmed_median",
        "onset_to_confirmed_max",
        "calls",
        "input_tokens",
        "cost_usd",
        "errors",
    ]
    names = list(report)
    print(f"{'':<30}" + "".join(f"{name[:34]:>36}" for name in names), file=out)
    for row in rows:
        print(
            f"{row:<30}"
            + "".join(f"{_figure(report[n]['overall'][row], 4 if row == 'cost_usd' else 2):>36}" for n in names),
            file=out,
        )
    for name in names:
        print(f"\n{name}", file=out)
        for entry in report[name]["prints"]:
            print(
                f"  {entry['print']:<20} onset {_figure(entry['onset'], 0):>6}  confirmed after "
                f"{_figure(entry['onset_to_confirmed'], 1):>6} s  false alarms {entry['false_alarms']}  "
                f"calls {entry['calls']}",
                file=out,
            )


def parse_group(text: str) -> dict:
    group = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        group[key.strip()] = value.strip()
    return group

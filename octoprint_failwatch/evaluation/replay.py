"""The replay: recordings of prints (`recordings.py`) through what ships — the engine as the session assembles it,
with the on-device detector's first look, the offline watch, the warm-up gate and the configured model — on a
simulated clock, so hours replay in seconds and a model call takes its measured latency (or `--latency`).

Each print's result keeps its alarms (when, which eye raised them — the on-device detector or the model — and
whether verification confirmed them), what a confirmation would have done (a pause, with the settings' action),
the calls, tokens and cost, and a timeline of the detector's scores and the model's verdicts for the report
(`report.py`). `evaluate` runs every setting group of `--compare` over the recordings.
"""

from __future__ import annotations

import logging
import random
import statistics
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from ..analysis import AnalysisError, DailySpend, Verdict
from ..analysis.local_model import DetectorSlot, default_cache
from ..config import FailwatchConfig, build_config
from ..engine.events import Analysed, FailureDetected, LocalLooked, VerificationDecided
from ..engine.evidence import LookAlike
from ..engine.local_looks import LOCAL_EYES
from ..engine.parts import Analyse
from ..engine.simulation import Simulation
from ..frame import Frame
from ..session.assembly import Assembly
from ..session.gate import PrintGate
from .recordings import Dataset, Recording

STEP = 0.25
FAILED_FIRST_CALLS = 3  # every one of a print's first calls failed: the model cannot be reached, the replay stops
Progress = Callable[[int, int, str], None]  # (prints done, prints in all, the one under way)


@dataclass
class Alarm:
    at: float  # seconds into the recording
    eye: str  # "detector", "change" (the picture-change eye) or "model": which raised it
    confirmed: Optional[bool] = None  # None: still verifying when the recording ended
    decided_at: Optional[float] = None


@dataclass
class PrintResult:
    name: str
    onset: Optional[float]
    hours: float
    alarms: list[Alarm] = field(default_factory=list)
    pauses: list[float] = field(default_factory=list)  # when a confirmation would have paused (or cancelled)
    timeline: list[list] = field(default_factory=list)  # [seconds, eye, confidence, failed] per look
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    errors: int = 0
    first_error: str = ""

    @property
    def confirmations(self) -> list[float]:
        return [alarm.decided_at for alarm in self.alarms if alarm.confirmed and alarm.decided_at is not None]

    @property
    def detected_after(self) -> Optional[float]:
        if self.onset is None:
            return None
        after = [t for t in self.confirmations if t >= self.onset]
        return after[0] - self.onset if after else None

    @property
    def false_alarms(self) -> int:
        return sum(1 for t in self.confirmations if self.onset is None or t < self.onset)

    @property
    def false_pauses(self) -> int:
        return sum(1 for t in self.pauses if self.onset is None or t < self.onset)

    def as_dict(self) -> dict:
        return {
            "print": self.name,
            "onset": self.onset,
            "hours": round(self.hours, 4),
            "confirmed_at": self.confirmations,
            "onset_to_confirmed": self.detected_after,
            "false_alarms": self.false_alarms,
            "false_pauses": self.false_pauses,
            "alarms": [vars(alarm) for alarm in self.alarms],
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "cost_usd": self.cost_usd,
            "errors": self.errors,
            "first_error": self.first_error,
            "timeline": self.timeline,
        }


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
    recording: Recording,
    config: FailwatchConfig,
    detector: DetectorSlot,
    latency: Optional[float],
    tick: Callable[[float], None] = lambda done: None,
) -> PrintResult:
    """One recording through the engine; `tick(share done)` is called as it goes (it may raise to stop it)."""
    simulation = Simulation(latency)
    clock = simulation.clock
    result = PrintResult(recording.name, recording.onset, recording.duration / 3600)
    logger = logging.getLogger("failwatch.replay")
    # what the session builds for a print, on simulated time: the first look at once, the same draws every run
    printed = RecordedPrint(recording, clock)  # what the printer would have said: the time printed
    assembly = Assembly(
        clock=clock,
        spend=DailySpend(),
        detector=detector,
        model_calls=simulation.executor,
        captures=None,
        logger=logger,
        start_spread=0.0,
        rng=random.Random(0),
        job=printed.job,
    )
    gate = PrintGate(printed, lambda: config, logger)
    gate.new_print()
    pausing = config.failure_action in ("pause", "cancel")

    def capture() -> Frame:
        # the last frame stands until the replay ends: the end of a recording is no camera problem
        index = min(int(clock.now // recording.frame_interval), len(recording.frames) - 1)
        return Frame(recording.frames[index], clock.now, clock.time())

    def counting(analyse: Analyse) -> Analyse:
        def counted(frames: Sequence[Frame], quick: bool = False) -> Verdict:
            result.calls += 1
            try:
                verdict = analyse(frames, quick)
            except AnalysisError as exc:
                result.errors += 1
                result.first_error = result.first_error or str(exc)
                raise
            result.input_tokens += verdict.input_tokens
            result.output_tokens += verdict.output_tokens
            result.cost_usd += verdict.cost_usd
            return verdict

        return counted

    confirmed: list[VerificationDecided] = []
    dismissals = list(recording.not_a_failure)

    def on_event(event) -> None:
        now = round(clock.now, 2)
        if isinstance(event, (Analysed, LocalLooked)):
            verdict = event.verdict
            result.timeline.append([now, verdict.source, verdict.confidence, verdict.print_failed])
        elif isinstance(event, FailureDetected):
            source = event.verdict.source
            result.alarms.append(Alarm(now, source if source in LOCAL_EYES else "model"))
        elif isinstance(event, VerificationDecided) and result.alarms:
            result.alarms[-1].confirmed, result.alarms[-1].decided_at = event.confirmed, now
            if event.confirmed:
                confirmed.append(event)
                if pausing and len(result.pauses) < config.max_auto_pauses:
                    result.pauses.append(now)

    def each_step() -> None:
        """Stops a replay whose model cannot be reached; says "Not a failure" when the labels say so."""
        tick(clock.now / recording.duration)
        if result.errors >= FAILED_FIRST_CALLS and result.errors == result.calls:
            raise ValueError(f"the model's first {result.errors} calls all failed: {result.first_error}")
        while dismissals and clock.now >= dismissals[0]:
            dismissals.pop(0)
            if confirmed:  # "Not a failure" on the last alarm, as the session's Feedback does
                last = confirmed[-1]
                verdicts = [v.as_dict() for v in (last.quick, last.trigger, *last.results) if v is not None]
                engine.dismiss(LookAlike.of(f"alarm-{len(confirmed)}", verdicts), config.resume_grace_seconds)

    engine = assembly.engine(config, capture=capture, on_event=on_event, gate=gate.reason_to_wait, wrap=counting)
    engine.start()
    # the last tick falls within the recording's last frame, not on the first moment after it
    simulation.run(engine, recording.duration - STEP, STEP, each_step)
    return result


def _percentile(values: list[float], share: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def summarise(results: list[PrintResult]) -> dict:
    failures = [r for r in results if r.onset is not None]
    healthy = [r for r in results if r.onset is None]
    delays = [r.detected_after for r in failures if r.detected_after is not None]
    false_alarms = sum(r.false_alarms for r in results)
    hours = sum(r.hours for r in results)
    healthy_hours = sum(r.hours for r in healthy)
    alarms = [alarm for r in results for alarm in r.alarms]
    return {
        "prints": len(results),
        "failing_prints": len(failures),
        "caught": len(delays),
        "missed": len(failures) - len(delays),
        "precision": len(delays) / (len(delays) + false_alarms) if delays or false_alarms else None,
        "recall": len(delays) / len(failures) if failures else None,
        "print_hours": round(hours, 3),
        "false_alarms_per_print_hour": false_alarms / hours if hours else 0.0,
        "false_alarms_per_100_print_hours": 100 * false_alarms / hours if hours else 0.0,
        "false_pauses_per_100_print_hours": 100 * sum(r.false_pauses for r in results) / hours if hours else 0.0,
        "onset_to_confirmed_median": statistics.median(delays) if delays else None,
        "onset_to_confirmed_p90": _percentile(delays, 0.9),
        "onset_to_confirmed_max": max(delays) if delays else None,
        "alarms_raised_by_detector": sum(1 for alarm in alarms if alarm.eye == "detector"),
        "alarms_raised_by_change": sum(1 for alarm in alarms if alarm.eye == "change"),
        "alarms_raised_by_model": sum(1 for alarm in alarms if alarm.eye == "model"),
        "calls": sum(r.calls for r in results),
        "calls_per_print_hour": sum(r.calls for r in results) / hours if hours else 0.0,
        "healthy_calls_per_print_hour": sum(r.calls for r in healthy) / healthy_hours if healthy_hours else None,
        "input_tokens": sum(r.input_tokens for r in results),
        "output_tokens": sum(r.output_tokens for r in results),
        "cost_usd": sum(r.cost_usd for r in results),
        "cost_per_print_hour": sum(r.cost_usd for r in results) / hours if hours else 0.0,
        "healthy_cost_per_print_hour": sum(r.cost_usd for r in healthy) / healthy_hours if healthy_hours else None,
        "errors": sum(r.errors for r in results),
    }


def evaluate(
    dataset: Dataset,
    base: dict,
    groups: list[dict],
    latency: Optional[float],
    progress: Progress = lambda done, total, name: None,
) -> dict:
    """Every setting group over every recording; ValueError names a group that cannot judge anything."""
    configs = {}
    for group in groups:  # every group checked before hours are replayed
        name = ", ".join(f"{k}={v}" for k, v in group.items()) or "settings as configured"
        config, errors = build_config({**base, **group})
        if errors:
            raise ValueError(f"{name}: " + "; ".join(f"{k} {m}" for k, m in errors.items()))
        if config.not_ready():  # a replay that could judge nothing would report zeros as if all were well
            raise ValueError(f"{name}: {config.not_ready()}")
        configs[name] = config
    report: dict = {}
    total, done = len(configs) * len(dataset.recordings), 0
    for name, config in configs.items():
        detector = ready_detector(config)
        results = []
        for recording in dataset.recordings:
            progress(done, total, f"{recording.name} ({name})")
            results.append(replay(recording, config, detector, latency))
            done += 1
        report[name] = {
            "overall": summarise(results),
            "prints": [r.as_dict() for r in results],
            "spacing": dataset.spacing,
        }
    progress(done, total, "")
    return report


def ready_detector(config: FailwatchConfig) -> DetectorSlot:
    """The on-device detector the settings name, loaded before the replay starts (off: an empty slot)."""
    slot = DetectorSlot(default_cache(), logging.getLogger("failwatch.replay"))
    slot.configure(config, wait=True)
    if config.detector_on and not slot.ready:
        raise ValueError(f"the on-device detector ({config.local_detector}) is not available: {slot.message}")
    return slot


def parse_group(text: str) -> dict:
    group = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        group[key.strip()] = value.strip()
    return group

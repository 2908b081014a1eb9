"""Detection latency and false alarms: the baseline policy vs Failwatch's engine, same inputs, simulated clock.

The baseline policy is the standalone tool's, re-implemented here as it runs: a series of 3 frames 10 s apart, one
call, the next series right after the verdict; on a positive, 4 verification series of 3 frames
2 s apart one after the other, each analysed before the next; confirmed at 3 of 4; 15 min cooldown.
Failwatch runs its real `Monitor` with the same model: a call is positive when its newest frame is
after the failure's onset, or — for false alarms on a healthy print — with probability p per call
(independent), or whenever its newest frame falls in a glare: 60 s bursts that cover a share p of the
print's time (the glare is in the scene, so it fools every call made during it, however many there are).
Run: .venv/bin/python -m bench.latency [--runs 200] [--hours 300]
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from statistics import median
from typing import Optional

from octoprint_failwatch.analysis import Verdict
from octoprint_failwatch.config import build_config
from octoprint_failwatch.events import VerificationDecided
from octoprint_failwatch.frame import Frame
from octoprint_failwatch.monitor import Monitor
from octoprint_failwatch.simulation import Simulation

N, INTERVAL, V, K, VERIFY_INTERVAL, COOLDOWN = 3, 10.0, 4, 3, 2.0, 15 * 60.0
STEP = 0.25


class Truth:
    """What the model answers for a call: failing after the onset; false positives on healthy frames."""

    GLARE_SECONDS = 60.0

    def __init__(self, onset: float = float("inf"), fp: float = 0.0, burst: bool = False, random_seed: int = 1):
        self.onset, self.fp, self.burst = onset, fp, burst
        self.random = random.Random(random_seed)
        self.glares: list[tuple[float, float]] = []  # (start, end), made as time goes on
        self.calls = 0

    def positive(self, newest: float) -> bool:
        self.calls += 1
        if newest >= self.onset:
            return True
        if self.burst:
            return self._in_glare(newest)
        return self.random.random() < self.fp

    def _in_glare(self, at: float) -> bool:
        # glares start at random (exponential gaps) so that a share `fp` of the time is glare
        while not self.glares or self.glares[-1][0] <= at:
            start = (self.glares[-1][1] if self.glares else 0.0) + self.random.expovariate(
                self.fp / (self.GLARE_SECONDS * (1 - self.fp)))
            self.glares.append((start, start + self.GLARE_SECONDS))
        return any(start <= at < end for start, end in self.glares[-3:])

def baseline_policy(truth: Truth, latency: float, until: float, calls: Optional[Counter] = None) -> list[float]:
    """Times the baseline policy confirms a failure, from print start (t=0) to `until`; `calls` counts by kind."""
    calls = Counter() if calls is None else calls
    confirmed, t = [], 0.0
    while t < until:
        newest = t + (N - 1) * INTERVAL
        t = newest + latency
        calls["series"] += 1
        if not truth.positive(newest):
            continue
        positives = 0
        for _ in range(V):
            newest = t + (N - 1) * VERIFY_INTERVAL
            t = newest + latency
            calls["verification"] += 1
            positives += truth.positive(newest)
        if positives >= K:
            confirmed.append(t)
            t += COOLDOWN
    return confirmed


class _Healthy:
    def check(self, jpeg, at):
        return None


def failwatch(truth: Truth, latency: float, until: float, calls: Optional[Counter] = None,
              step: float = STEP, **settings) -> list[float]:
    """Times at which Failwatch's engine confirms; `calls` counts its model calls by kind."""
    simulation = Simulation(latency)
    clock = simulation.clock
    confirmed: list[float] = []

    def capture() -> Frame:
        return Frame(b"", clock.now, clock.now)

    def analyse(frames, quick: bool = False) -> Verdict:
        if calls is not None:
            spacing = frames[1].captured_at - frames[0].captured_at if len(frames) > 1 else 0.0
            calls["quick" if quick else "verification" if 0 < spacing <= VERIFY_INTERVAL else "series"] += 1
        failed = truth.positive(frames[-1].captured_at)
        return Verdict(failed, 0.9 if failed else 0.1, "spaghetti" if failed else "none", "simulated")

    def on_event(event) -> None:
        if isinstance(event, VerificationDecided) and event.confirmed:
            confirmed.append(clock.now)

    config, _ = build_config({"inference_profile_arn": "us.amazon.nova-lite-v1:0", **settings})
    monitor = Monitor(config, capture, analyse, simulation.executor, on_event, clock, health=_Healthy())
    monitor.start()
    simulation.run(monitor, until, step)
    return confirmed


POLICIES = {
    "baseline": lambda truth, latency, until, **kw: baseline_policy(truth, latency, until),
    "failwatch": lambda truth, latency, until, **kw: failwatch(truth, latency, until, **kw),
    "fw quick_check off": lambda truth, latency, until, **kw: failwatch(truth, latency, until, quick_check=False,
                                                                        **kw),
}


def latency_table(runs: int) -> None:
    print(f"Failure onset -> confirmed (and paused), {runs} onsets at random phases, seconds\n")
    print("policies: " + ", ".join(f"[{n}] {name}" for n, name in enumerate(POLICIES)) + "; ratio = p50 / baseline p50")
    print(f"{'model latency':<14}" + "".join(f"{f'[{n}] p50':>10}{'worst':>8}" for n in range(len(POLICIES)))
          + "".join(f"{f'ratio {n}':>9}" for n in range(1, len(POLICIES))))
    for latency in (1.0, 3.0, 8.0):
        row, medians = f"{latency:>6.0f} s       ", {}
        for name, policy in POLICIES.items():
            rng = random.Random(7)
            delays = []
            for _ in range(runs):
                onset = 600 + rng.uniform(0, 60)
                times = [t for t in policy(Truth(onset), latency, onset + 300) if t >= onset]
                delays.append(times[0] - onset)
            medians[name] = median(delays)
            row += f"{median(delays):>10.1f}{max(delays):>8.1f}"
        print(row + "".join(f"{medians[name] / medians['baseline']:>9.2f}" for name in list(POLICIES)[1:]))


PRINT_HOURS = 4.0  # for pauses: the default allows one automatic pause per print


def false_alarm_table(hours: float) -> None:
    print(f"\nFalse alarms per 100 print-hours on a healthy print ({hours:g} h simulated each, latency 3 s):"
          f"\nconfirmations (each one alerts) / pauses (at most one per {PRINT_HOURS:g}-hour print, the default)\n")
    print(f"{'false positives per call':<26}" + "".join(f"{name:>22}" for name in POLICIES))
    for burst in (False, True):
        for fp in (0.02, 0.05, 0.10):
            row = f"{fp:>4.0%} {'in bursts' if burst else 'independent':<21}"
            for policy in POLICIES.values():  # 0.5 s steps keep the 0.5 s verification spacing exact
                alarms = policy(Truth(fp=fp, burst=burst, random_seed=11), 3.0, hours * 3600, step=0.5)
                pauses = len({int(t // (PRINT_HOURS * 3600)) for t in alarms})
                row += f"{f'{len(alarms) * 100 / hours:.1f} / {pauses * 100 / hours:.1f}':>22}"
            print(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--hours", type=float, default=300.0)
    args = parser.parse_args()
    latency_table(args.runs)
    false_alarm_table(args.hours)


if __name__ == "__main__":
    main()

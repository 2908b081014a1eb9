"""A print farm on one AWS account: fifty printers, one per-minute quota, three failures.

Every printer is a real `Engine` with the real Analyser and Bedrock backend (its own boto3 client)
calling the local Converse server, its own camera (the demo scene, 768x432) and its own start offset,
all on one simulated clock with the model answering in 3 s. The server enforces an account's quota
for the model (`demo.model_server.AccountQuota`: requests and tokens in any minute, a request
reserving its input tokens + maxTokens) and answers ThrottlingException beyond it, at three levels:

- *ample*: four times *just enough*;
- *just enough*: the smallest quota that never throttles the healthy farm — measured first, from the
  same farm with no failure over as long a run: the most requests and tokens it used in any minute,
  plus one request's reservation. Healthy is not silent: the model wrongly says "failed" on a share of calls (3 % by
  default, as in bench/endurance.py), and those false alarms' verifications are part of the load;
- *half*: half of *just enough*.

Three printers (chosen at random) fail at random times; each failure is run again on a printer alone
(same start offset, same onset, no quota) for the single-printer figure. A failure is missed when it is
not confirmed by the end of the run. Throttles per minute are the share of the minute's requests refused.
Run: .venv/bin/python -m bench.farm [--printers 50] [--minutes 30] [--draw 1]
"""

from __future__ import annotations

import argparse
import logging
import math
import random
from dataclasses import dataclass, field
from statistics import median
from typing import Optional

from demo.model_server import AccountQuota, ModelServer
from demo.scene import SceneCamera
from octoprint_failwatch.analysis import DailySpend, make_analyser
from octoprint_failwatch.config import build_config
from octoprint_failwatch.engine.engine import Engine, EngineParts
from octoprint_failwatch.engine.events import VerificationDecided
from octoprint_failwatch.engine.simulation import Simulation

LATENCY = 3.0
STEP = 0.5
FAILURES = 3
FALSE_ALARMS = 0.03  # share of healthy calls the model wrongly answers "failed", as in bench/endurance.py
MAX_TOKENS = 400  # what the Bedrock backend asks for: part of each request's reservation


@dataclass
class Printer:
    index: int
    engine: Engine
    camera: SceneCamera
    onset: Optional[float] = None
    confirmed: list[float] = field(default_factory=list)


@dataclass
class FarmRun:
    seconds: float
    printers: list[Printer]
    quota: AccountQuota

    def detection(self) -> list[Optional[float]]:
        """Onset → confirmed of each failing printer; None when it was missed."""
        return [
            next((t - p.onset for t in p.confirmed if t >= p.onset), None) for p in self.printers if p.onset is not None
        ]

    def per_minute(self) -> list[tuple[int, int]]:
        """(admitted, throttled) requests in each whole minute after the first."""
        minutes = int(self.seconds // 60)
        admitted, throttled = [0] * minutes, [0] * minutes
        for t, _ in self.quota.admitted:
            if int(t // 60) < minutes:
                admitted[int(t // 60)] += 1
        for t in self.quota.throttled:
            if int(t // 60) < minutes:
                throttled[int(t // 60)] += 1
        return list(zip(admitted, throttled))[1:]


def printer_config(url: str):
    config, errors = build_config(
        {
            "inference_profile_arn": "us.amazon.nova-lite-v1:0",
            "bedrock_endpoint_url": url,
            "aws_access_key_id": "AKIAFARM",
            "aws_secret_access_key": "farm",
            "cooldown_minutes": 15,
        }
    )
    assert not errors, errors
    return config


def run_farm(
    server: ModelServer,
    printers: list[int],
    seconds: float,
    onsets: dict[int, float],
    quota: tuple[float, float],
    draw: int,
) -> FarmRun:
    """The printers numbered `printers` from second 0 to `seconds` under `quota` (requests, tokens a
    minute); printer i's camera shows a failure from onsets[i] on. A printer's start offset and retry
    waits depend only on its number and `draw`, so it behaves the same in the farm and alone."""
    simulation = Simulation(latency=LATENCY)
    clock = simulation.clock
    server.quota = AccountQuota(quota[0], quota[1], clock)
    config = printer_config(server.url)
    farm: list[Printer] = []
    for index in printers:
        camera = SceneCamera(clock, 768, 432)
        printer = Printer(index, None, camera, onsets.get(index))  # type: ignore[arg-type]

        def on_event(event, printer=printer) -> None:
            if isinstance(event, VerificationDecided) and event.confirmed:
                printer.confirmed.append(clock.now)

        analyse = make_analyser(config, clock, DailySpend())
        parts = EngineParts(
            camera, analyse, simulation.executor, clock, rng=random.Random(draw * 1000 + index), start_spread=1.0
        )
        printer.engine = Engine(config, parts, on_event)
        farm.append(printer)
    failing = [p for p in farm if p.onset is not None]

    def each_step() -> None:
        for printer in failing:
            printer.camera.scene = "failed" if clock.now >= printer.onset else "healthy"
        for printer in farm:
            del printer.camera.times[:]  # the camera's own record, not needed here

    for printer in farm:
        printer.engine.start()
    simulation.run_all([p.engine for p in farm], seconds, STEP, each_step)
    for printer in farm:
        printer.engine.stop()
    server.converse_requests.clear()  # the server's record of requests, not needed here
    return FarmRun(seconds, farm, server.quota)


def peak_minute(run: FarmRun) -> tuple[int, int]:
    """The most requests and tokens the farm used in any 60 s (a window ending at each admitted request)."""
    admitted = run.quota.admitted
    most_requests = most_tokens = start = total = 0
    for end, (t, tokens) in enumerate(admitted):
        total += tokens
        while admitted[start][0] <= t - AccountQuota.WINDOW:
            total -= admitted[start][1]
            start += 1
        most_requests = max(most_requests, end - start + 1)
        most_tokens = max(most_tokens, total)
    return most_requests, most_tokens


def just_enough(healthy: FarmRun, busiest: tuple[int, int]) -> tuple[int, int]:
    """The smallest quota that never throttles the healthy farm: its busiest minute (`peak_minute`) plus one
    request's reservation."""
    biggest = max(tokens for _, tokens in healthy.quota.admitted) + MAX_TOKENS
    return busiest[0] + 1, busiest[1] + biggest


def draw_failures(draw: int, printers: int, seconds: float) -> dict[int, float]:
    """Which printers fail in this draw, and when (seconds into the run)."""
    chooser = random.Random(draw)
    failing = chooser.sample(range(printers), FAILURES)
    return {index: round(chooser.uniform(4 * 60, seconds - 6 * 60), 1) for index in failing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--printers", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--draw", type=int, default=1, help="which random draw: failing printers, onsets, offsets")
    parser.add_argument(
        "--false-alarms", type=float, default=FALSE_ALARMS, help="share of healthy calls answered 'failed'"
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # throttled looks are logged by every printer; the figures are the point
    seconds = args.minutes * 60
    onsets = draw_failures(args.draw, args.printers, seconds)
    failing = sorted(onsets)
    unlimited = (math.inf, math.inf)
    server = ModelServer().start()
    server.false_positive_rate = args.false_alarms
    try:
        everyone = list(range(args.printers))
        healthy = run_farm(server, everyone, seconds, {}, unlimited, args.draw)
        requests, tokens = peak_minute(healthy)
        enough = just_enough(healthy, (requests, tokens))
        at = ", ".join(f"{onsets[i] / 60:.1f}" for i in failing)
        print(
            f"{args.printers} printers, {args.minutes:g} simulated minutes, model latency {LATENCY:g} s; "
            f"failing printers {failing} at {at} min"
        )
        print(
            f"false alarms on {args.false_alarms:.0%} of healthy calls; the healthy farm's busiest minute: "
            f"{requests} requests, {tokens} tokens -> just enough = {enough[0]} requests/min, {enough[1]} tokens/min"
        )
        single = {}
        for index, onset in onsets.items():
            single[index] = run_farm(server, [index], onset + 4 * 60, {index: onset}, unlimited, args.draw).detection()
        single_times = [t for index in onsets for t in single[index] if t is not None]
        print(f"single printer, onset -> confirmed: p50 {median(single_times):.1f} s, worst {max(single_times):.1f} s")
        print(
            f"{'quota':<12}{'req/min':>9}{'tok/min':>10}{'p50 s':>8}{'worst s':>9}{'x single':>10}{'missed':>8}"
            f"{'throttles/h':>13}{'worst minute':>14}{'calls/ph':>10}{'tokens/ph':>11}"
        )
        for name, factor in (("ample", 4.0), ("just enough", 1.0), ("half", 0.5)):
            quota = (math.floor(enough[0] * factor), math.floor(enough[1] * factor))
            run = run_farm(server, everyone, seconds, onsets, quota, args.draw)
            times = run.detection()
            found = [t for t in times if t is not None]
            minutes = run.per_minute()
            shares = [thr / (adm + thr) if adm + thr else 0.0 for adm, thr in minutes]
            worst_share = max(shares, default=0.0)
            worst_minute = shares.index(worst_share) + 1 if shares else 0
            hours = seconds / 3600
            printer_hours = args.printers * hours
            counters = [p.engine.status()["counters"] for p in run.printers]
            tokens_used = sum(c["input_tokens"] + c["output_tokens"] for c in counters)
            p50 = median(found) if found else math.nan
            worst = max(found) if found else math.nan
            print(
                f"{name:<12}{quota[0]:>9}{quota[1]:>10}{p50:>8.1f}{worst:>9.1f}"
                f"{p50 / median(single_times):>6.2f}/{worst / max(single_times):<3.2f}"
                f"{times.count(None):>8}{len(run.quota.throttled) / hours:>13.0f}"
                f"{worst_share:>7.0%} (m{worst_minute:<2})"
                f"{len(run.quota.admitted) / printer_hours:>10.0f}{tokens_used / printer_hours:>11.0f}"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()

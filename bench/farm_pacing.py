"""A farm over its quota over many draws: what the looks' pace coming back by time costs, beside the pace without it.

bench/farm.py has three failures a draw; at half the quota their detection times move by tens of seconds with
which false alarms a run happens to draw, so one draw cannot tell a pacing change of a few seconds. This runs
bench/farm.py's farm (fifty engines, the real Bedrock backend to the local Converse stand-in, 3 % false alarms,
the model answering in 3 s) at half of *just enough* — measured once, from the healthy farm of the first draw —
over `--draws` draws, each twice from the same seeds (failing printers, onsets, start offsets, false alarms):
- *now*: Failwatch's pacing (engine/pacing.py);
- *looks only*: the same with the time recovery off (`HALF_LIFE` infinite): the pace comes back only by the
  looks that get through, as it did before it learned to come back by time.
Pooled over the draws: onset → confirmed p50 / worst, missed, throttles an hour in the first 6 minutes (every
printer starts at once into a fresh quota minute) and after, calls per printer-hour.
Run: .venv/bin/python -m bench.farm_pacing [--draws 8] [--printers 50] [--minutes 30] [--jobs 2]
"""

from __future__ import annotations

import argparse
import logging
import math
from concurrent.futures import ProcessPoolExecutor
from statistics import median

from bench.farm import FAILURES, FALSE_ALARMS, draw_failures, just_enough, peak_minute, run_farm
from demo.model_server import ModelServer
from octoprint_failwatch.engine import pacing

START_MINUTES = 6  # the farm's start: every printer's first looks, then the quota's first refusals
VARIANTS = {"now": pacing.HALF_LIFE, "looks only": math.inf}


def half_of_just_enough(printers: int, seconds: float) -> tuple[int, int]:
    """Half the smallest quota that never throttles the healthy farm of draw 1 (see bench/farm.py)."""
    server = ModelServer().start()
    server.false_positive_rate = FALSE_ALARMS
    try:
        healthy = run_farm(server, list(range(printers)), seconds, {}, (math.inf, math.inf), 1)
    finally:
        server.stop()
    requests, tokens = just_enough(healthy, peak_minute(healthy))
    return requests // 2, tokens // 2


def run_one(variant: str, draw: int, printers: int, seconds: float, quota: tuple[int, int]) -> dict:
    logging.disable(logging.WARNING)  # throttled looks are logged by every printer; the figures are the point
    pacing.HALF_LIFE = VARIANTS[variant]  # read at each use: this process runs one variant at a time
    server = ModelServer().start()
    server.false_positive_rate = FALSE_ALARMS
    server.restart_false_alarms(draw)
    try:
        run = run_farm(server, list(range(printers)), seconds, draw_failures(draw, printers, seconds), quota, draw)
    finally:
        server.stop()
    start = sum(1 for t in run.quota.throttled if t < START_MINUTES * 60)
    return {
        "variant": variant,
        "times": run.detection(),
        "throttles_at_start": start,
        "throttles_after": len(run.quota.throttled) - start,
        "calls": len(run.quota.admitted),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=8, help="draws 1..N, each run with both paces")
    parser.add_argument("--printers", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--jobs", type=int, default=2, help="farms run at once, one process each")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    seconds = args.minutes * 60
    quota = half_of_just_enough(args.printers, seconds)
    print(
        f"{args.printers} printers, {args.minutes:g} simulated minutes, {args.draws} draws of {FAILURES} failures; "
        f"quota: half of just enough = {quota[0]} requests, {quota[1]} tokens a minute"
    )
    runs = [(variant, draw) for draw in range(1, args.draws + 1) for variant in VARIANTS]
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_one, variant, draw, args.printers, seconds, quota) for variant, draw in runs]
        results = [future.result() for future in futures]
    print(
        f"{'pace':<12}{'p50 s':>8}{'worst s':>9}{'missed':>8}{'throttles/h, first 6 min':>26}{'after':>8}"
        f"{'calls/ph':>10}"
    )
    for variant in VARIANTS:
        mine = [r for r in results if r["variant"] == variant]
        times = [t for r in mine for t in r["times"]]
        found = [t for t in times if t is not None]
        start_hours = len(mine) * START_MINUTES / 60
        after_hours = len(mine) * (args.minutes - START_MINUTES) / 60
        print(
            f"{variant:<12}{median(found):>8.1f}{max(found):>9.1f}{times.count(None):>8}"
            f"{sum(r['throttles_at_start'] for r in mine) / start_hours:>26.0f}"
            f"{sum(r['throttles_after'] for r in mine) / after_hours:>8.0f}"
            f"{sum(r['calls'] for r in mine) / (len(mine) * args.printers * args.minutes / 60):>10.0f}"
        )


if __name__ == "__main__":
    main()

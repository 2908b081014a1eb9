"""Eight print-hours on a simulated clock with a fault mix: is anything growing?

The real engine, the real Analyser and Bedrock backend (boto3) against the local Converse server, the
demo scene as the camera. Every hour: model faults (malformed and cut-off answers, an expired token,
access denied, throttling, a 5xx), 3 % false alarms that start verifications, and every third hour a
10-minute camera outage. After each hour the process's RSS, Python heap (tracemalloc), threads and open
sockets are recorded; flat means no leak. tests/test_reliability.py runs it too and asserts flatness.
Run: .venv/bin/python -m bench.endurance [--hours 8]
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import threading
import tracemalloc
from typing import Iterator, Sequence

from bench.overhead import rss_mb
from demo.model_server import ModelServer
from demo.scene import SceneCamera
from octoprint_failwatch.analysis import DailySpend, make_analyser
from octoprint_failwatch.config import build_config
from octoprint_failwatch.engine.engine import Engine, EngineParts
from octoprint_failwatch.engine.simulation import Simulation

FAULTS = ("malformed", "max_tokens", "expired", "denied", "throttle", "5xx", "text")
STEP = 0.5


def open_sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return count


def endurance(server: ModelServer, hours: int, faults: Sequence[str] = FAULTS) -> Iterator[dict]:
    """Runs the engine hour by hour against `server`; yields the figures after each hour."""
    simulation = Simulation(latency=3.0)
    clock = simulation.clock
    camera = SceneCamera(clock)
    config, errors = build_config(
        {
            "inference_profile_arn": "us.amazon.nova-lite-v1:0",
            "bedrock_endpoint_url": server.url,
            "aws_access_key_id": "AKIAENDURANCE",
            "aws_secret_access_key": "endurance",
            "cooldown_minutes": 5,
        }
    )
    assert not errors, errors
    analyse = make_analyser(config, clock, DailySpend())
    engine = Engine(config, EngineParts(camera, analyse, simulation.executor, clock), lambda event: None)
    engine.start()
    tracemalloc.start()
    try:
        for hour in range(1, hours + 1):
            end = clock.now + 3600
            server.faults[:] = list(faults)
            server.converse_requests.clear()  # the local server's record of requests, not the plugin's memory

            def each_step(outage_hour: bool = hour % 3 == 0) -> None:
                camera.broken = outage_hour and 20 <= (clock.now % 3600) / 60 < 30
                del camera.times[:-10]  # the camera's own record, not the engine's memory

            simulation.run(engine, end - clock.now, STEP, each_step)
            gc.collect()
            counters = engine.status()["counters"]
            yield {
                "hour": hour,
                "calls": counters["calls"],
                "errors": counters["errors"],
                "alarms": counters["detections"],
                "confirmed": counters["confirmed"],
                "rss_mb": rss_mb(os.getpid()),
                "heap_mb": tracemalloc.get_traced_memory()[0] / 2**20,
                "threads": threading.active_count(),
                "sockets": open_sockets(),
            }
    finally:
        tracemalloc.stop()
        engine.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=8)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # thousands of expected fault messages; the figures are the point
    server = ModelServer().start()
    server.false_positive_rate = 0.03
    print(
        f"{'hour':>4}{'calls':>7}{'errors':>8}{'alarms':>8}{'confirmed':>11}{'RSS MB':>8}{'heap MB':>9}"
        f"{'threads':>9}{'sockets':>9}"
    )
    try:
        for row in endurance(server, args.hours):
            print(
                f"{row['hour']:>4}{row['calls']:>7}{row['errors']:>8}{row['alarms']:>8}{row['confirmed']:>11}"
                f"{row['rss_mb']:>8.1f}{row['heap_mb']:>9.2f}{row['threads']:>9}{row['sockets']:>9}"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()

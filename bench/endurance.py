"""Eight print-hours on a simulated clock with a fault mix: is anything growing?

The real engine, the real Analyser and Bedrock backend (boto3) against the local Converse server, the
demo scene as the camera. Every hour: model faults (malformed and cut-off answers, an expired token,
access denied, throttling, a 5xx), 3 % false alarms that start verifications, and every third hour a
10-minute camera outage. After each hour the process's RSS, Python heap (tracemalloc), threads and open
sockets are printed; flat means no leak.
Run: .venv/bin/python -m bench.endurance [--hours 8]
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import threading
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from demo.model_server import ModelServer  # noqa: E402
from octoprint_failwatch.analysis import Analyser, DailySpend, make_backend  # noqa: E402
from octoprint_failwatch.config import build_config  # noqa: E402
from octoprint_failwatch.monitor import Monitor  # noqa: E402

from engine_fakes import FakeCamera, FakeClock, LatencyExecutor  # noqa: E402

FAULTS = ["malformed", "max_tokens", "expired", "denied", "throttle", "5xx", "text"]
STEP = 0.5


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=8)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # thousands of expected fault messages; the figures are the point

    server = ModelServer().start()
    server.false_positive_rate = 0.03
    clock = FakeClock(0.0)
    executor = LatencyExecutor(clock, 3.0)
    camera = FakeCamera(clock)
    config, errors = build_config({
        "inference_profile_arn": "us.amazon.nova-lite-v1:0", "bedrock_endpoint_url": server.url,
        "aws_access_key_id": "AKIAENDURANCE", "aws_secret_access_key": "endurance", "cooldown_minutes": 5,
    })
    assert not errors, errors
    events = {"failure_confirmed": 0, "verification_rejected": 0, "camera_problem": 0}

    def on_event(name: str, payload: dict) -> None:
        if name in events:
            events[name] += 1

    analyser = Analyser(config, make_backend(config, clock), DailySpend())
    monitor = Monitor(config, camera, analyser, executor, on_event, clock)
    monitor.start()
    tracemalloc.start()
    print(f"{'hour':>4}{'calls':>7}{'errors':>8}{'alarms':>8}{'confirmed':>11}{'RSS MB':>8}{'heap MB':>9}"
          f"{'threads':>9}{'sockets':>9}")
    try:
        for hour in range(1, args.hours + 1):
            end = clock.now + 3600
            server.faults[:] = list(FAULTS)
            server.converse_requests.clear()  # the local server's record of requests, not the plugin's memory
            while clock.now < end:
                minute = (clock.now % 3600) / 60
                camera.broken = hour % 3 == 0 and 20 <= minute < 30
                executor.release()
                monitor.tick()
                clock.now = round(clock.now + STEP, 6)
                if len(camera.times) > 100:
                    del camera.times[:-10]  # the fake's own record, not the engine's memory
            gc.collect()
            counters = monitor.status()["counters"]
            print(f"{hour:>4}{counters['calls']:>7}{counters['errors']:>8}{counters['detections']:>8}"
                  f"{counters['confirmed']:>11}{rss_mb():>8.1f}{tracemalloc.get_traced_memory()[0] / 2**20:>9.2f}"
                  f"{threading.active_count():>9}{open_sockets():>9}")
    finally:
        monitor.stop()
        server.stop()


if __name__ == "__main__":
    main()

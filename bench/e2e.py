"""Failure onset → print paused, end to end in real OctoPrint, beside the baseline policy in the same run.

Two OctoPrint servers print on their virtual printers at the same time, each watched through its own demo
RTSP camera (640x480, the same scene), both asking the same local Converse stand-in through real boto3
(each answer takes `--latency` seconds). One runs Failwatch at its defaults. The other is watched by the
baseline policy run as the standalone tool runs it, in real time (`BaselinePolicy`): a series of 3
frames 10 s apart, one call, the next series right after the verdict; on a positive, 4 verification
series of 3 frames 2 s apart one after the other, each analysed before the next; 3 of 4 pause the print
through OctoPrint's API; frames full size, through Failwatch's RTSP reader and Bedrock backend. For each
onset both prints start afresh and run until both have had a verdict; then each camera switches to
"failed" at a phase of its own printer's cycle — onset k of n comes 1 s + (k - 0.5) / n of a cycle after
the first picture that printer's policy judges 20 s after both have had a verdict (Failwatch: a look every
10 s; the baseline: a series' newest frame every 2 intervals + opening the stream + the answer) — so
that n onsets give each policy a fair median, not a lucky one. The scene stamps its clock into every
frame, so the bench knows the moment each picture the model got shows, and how old it was when the model
got it (the picture lag: stream latency, capture, preparation, the request); the simulated figures beside
are run with that lag. Onset → Paused is read from each
OctoPrint's job API every 50 ms; the stand-in logs the model requests (which printer asked, when, what
kind, the images), so Failwatch's time can be split: onset → first look showing the failure sent →
series sent → verification sent → confirmed → paused.
Run: .venv/bin/python -m bench.e2e [--onsets 12] [--latency 3]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from pathlib import Path
from statistics import median
from typing import Callable, Optional

from bench.latency import (
    INTERVAL,
    PICTURE_LAG,
    VERIFY_INTERVAL,
    K,
    N,
    Truth,
    V,
    baseline_policy,
    failwatch,
    random_onset,
)
from demo.camera_server import CameraServer
from demo.model_server import ModelServer
from demo.octoprint_instance import OctoPrintServer, wait_for
from demo.rtsp_camera import RtspCamera
from demo.scene import read_stamp, shows_failure
from octoprint_failwatch.analysis import AnalysisError, DailySpend, make_analyser
from octoprint_failwatch.config import FailwatchConfig, build_config
from octoprint_failwatch.engine.engine import SystemClock
from octoprint_failwatch.sources import make_camera

MODEL = "us.amazon.nova-lite-v1:0"
KEYS = {"failwatch": "AKIAFAILWATCHDEFAULT", "baseline": "AKIAFAILWATCHBASELINE"}
STREAM_OPEN = 1.5  # s from asking for a frame of a closed RTSP stream to its picture (a keyframe must come)
LEAD = 1.0  # onsets come at least this long after the picture they are phased from (it must be seen first)
SETTLE = 20.0  # onsets are phased from a picture judged at least this long after both policies' first verdict


def settings(name: str, rtsp_url: str, model: ModelServer) -> dict:
    return {
        "rtsp_url": rtsp_url,
        "inference_profile_arn": MODEL,
        "bedrock_endpoint_url": model.url,
        "aws_access_key_id": KEYS[name],
        "aws_secret_access_key": "bench",
        "credentials_file": "/nonexistent",
        "failure_action": "pause",
        "warmup_minutes": 0,
        "image_long_side": 0 if name == "baseline" else 768,
    }


class BaselinePolicy(threading.Thread):
    """The baseline policy watching one print in real time, until it pauses it or is stopped."""

    def __init__(self, server: OctoPrintServer, config: FailwatchConfig, pause: Optional[Callable[[], object]] = None):
        super().__init__(name="baseline-policy", daemon=True)
        # how it pauses: OctoPrint's job API, or another printer's (Moonraker's) when given
        self._pause = pause or (lambda: server.api("POST", "/api/job", json={"command": "pause", "action": "pause"}))
        self._camera = make_camera(config, SystemClock())  # the RTSP reader, or a snapshot camera
        self._analyse = make_analyser(config, SystemClock(), DailySpend())  # full-size frames, the full question
        self.stopping = threading.Event()
        self.verdicts = 0
        self.calls = []  # (monotonic time, cost in USD) of each model call

    def _series(self, spacing: float) -> bool:
        frames, start = [], time.monotonic()
        for index in range(N):
            # frames asked for `spacing` apart, the time a capture takes included: kinder than the standalone
            # tool, whose sleeps come on top of opening the stream for each frame
            if index and self.stopping.wait(max(0.0, start + index * spacing - time.monotonic())):
                return False
            frames.append(self._camera())
        try:
            verdict = self._analyse(frames)
            failed = verdict.print_failed
            self.calls.append((time.monotonic(), verdict.cost_usd))
        except AnalysisError:
            failed = False
        self.verdicts += 1
        return failed

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                if not self._series(INTERVAL):
                    continue  # the next series right after the verdict
                if sum(self._series(VERIFY_INTERVAL) for _ in range(V)) >= K:
                    self._pause()
                    return
        finally:
            self._camera.close()


def calls_after(model: ModelServer, name: str, since: float) -> list[dict]:
    return [r for r in list(model.converse_requests) if r["access_key"] == KEYS[name] and r["time"] >= since]


def cycle(name: str, latency: float) -> float:
    """How far apart the pictures a policy judges are: Failwatch looks every interval; the baseline's next
    series starts after the verdict, so its newest frames are 2 intervals + opening the stream for the
    newest + the picture's lag + the answer apart (24.4 s measured at 3 s)."""
    return INTERVAL if name == "failwatch" else 2 * INTERVAL + STREAM_OPEN + PICTURE_LAG + latency


def picture_time(camera: CameraServer, request: dict) -> float:
    """The moment (monotonic) the newest picture of a model request shows."""
    return camera.started + read_stamp(request["images"][-1])


def one_onset(
    servers: dict, cameras: dict, model: ModelServer, share: float, latency: float, baseline_config: FailwatchConfig
) -> dict:
    """One failure per printer, each `share` of a cycle after a picture its policy judged."""
    for name, server in servers.items():
        cameras[name].mode = "healthy"
        if server.job_state().startswith(("Printing", "Paused", "Pausing")):
            server.cancel_print()
        server.start_print(seconds=3600, preview=True)  # a sliced file: the full looks carry its preview
    baseline = BaselinePolicy(servers["baseline"], baseline_config)
    baseline.start()
    servers["failwatch"].wait_for_state("watching", timeout=60)
    wait_for(lambda: servers["failwatch"].plugin_status()["last_verdict"], 90, "Failwatch's first verdict")
    wait_for(lambda: baseline.verdicts, 90, "the baseline's first verdict")
    looked, onset_at, phase = time.monotonic(), {}, {}
    paused: dict[str, float] = {}
    onset_wall = {}
    deadline = looked + 240
    while len(paused) < len(servers) and time.monotonic() < deadline:
        for name, server in servers.items():
            if name not in onset_at:  # phased from a picture of the steady cycle, not one of a print's first
                judged = calls_after(model, name, looked + SETTLE)
                if judged:
                    phase[name] = LEAD + share * cycle(name, latency)
                    onset_at[name] = picture_time(cameras[name], judged[0]) + phase[name]
            elif name not in onset_wall and time.monotonic() >= onset_at[name]:
                cameras[name].mode = "failed"  # the phase is the experiment: the loop's 50 ms is its resolution
                onset_at[name], onset_wall[name] = time.monotonic(), time.time()
            elif name in onset_wall and name not in paused and server.job_state() == "Paused":
                paused[name] = time.monotonic() - onset_at[name]
        time.sleep(0.05)
    baseline.stopping.set()
    baseline.join(timeout=30)
    result = {f"{name}_paused": paused.get(name) for name in servers}
    result["phase"] = phase
    looks = [picture_time(cameras["failwatch"], r) for r in calls_after(model, "failwatch", looked) if r["quick"]]
    result["look_gaps"] = [round(b - a, 1) for a, b in zip(looks, looks[1:])]
    result["baseline_calls"] = [
        round(r["time"] - onset_at["baseline"], 1) for r in calls_after(model, "baseline", onset_at["baseline"] - 30)
    ]
    onset = onset_at["failwatch"]
    camera = cameras["failwatch"]
    calls = calls_after(model, "failwatch", onset)
    quick = [r["time"] - onset for r in calls if r["quick"] and shows_failure(r["images"][-1])]
    full = [r["time"] - onset for r in calls if not r["quick"] and not r["bed"]]
    result.update(
        quick=quick[0] if quick else None,
        series=full[0] if full else None,
        verification=full[1:4] if len(full) > 1 else [],
    )
    result["picture_lag"] = [r["time"] - picture_time(camera, r) for r in calls_after(model, "failwatch", onset - 60)]
    status = servers["failwatch"].plugin_status()
    failure = status.get("last_failure") or {}
    result["confirmed"] = failure["time"] - onset_wall["failwatch"] if failure and "failwatch" in onset_wall else None
    for camera in cameras.values():
        camera.mode = "healthy"
    return result


def simulated(latency: float, picture_lag: float = 0.0, runs: int = 200) -> tuple[dict, dict]:
    """The same scenario in simulated time (bench/latency.py): onset → confirmed, p50 and worst, for both."""
    figures = {}
    for name, policy in (
        ("failwatch", lambda truth: failwatch(truth, latency, truth.onset + 300)),
        ("baseline", lambda truth: baseline_policy(truth, latency, truth.onset + 300, stream_open=STREAM_OPEN)),
    ):
        rng = random.Random(7)
        delays = []
        for _ in range(runs):
            truth = Truth(random_onset(rng, latency, STREAM_OPEN), picture_lag=picture_lag)
            delays.append(min(t for t in policy(truth) if t >= truth.onset) - truth.onset)
        figures[name] = {"p50": median(delays), "worst": max(delays)}
    return figures["failwatch"], figures["baseline"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onsets", type=int, default=12)
    parser.add_argument("--latency", type=float, default=3.0)
    args = parser.parse_args()
    model = ModelServer().start()
    model.latency = args.latency
    cameras: dict[str, CameraServer] = {}
    streams: dict[str, RtspCamera] = {}
    servers: dict[str, OctoPrintServer] = {}
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="failwatch-e2e-") as folder:
            for name in ("failwatch", "baseline"):
                cameras[name] = CameraServer(size=(640, 480)).start()
                streams[name] = RtspCamera("--mjpeg", cameras[name].stream_url).start()
                # the baseline's printer is watched by BaselinePolicy: its Failwatch has no model, so it waits
                own = settings(name, streams[name].url, model) if name == "failwatch" else {}
                servers[name] = OctoPrintServer(Path(folder) / name, own, event_log=False)
                servers[name].prepare()
                servers[name].start()
            baseline_config, errors = build_config(settings("baseline", streams["baseline"].url, model))
            assert not errors, errors
            for number in range(1, args.onsets + 1):
                results.append(
                    one_onset(servers, cameras, model, (number - 0.5) / args.onsets, args.latency, baseline_config)
                )
                row = results[-1]
                print(
                    f"onset {number} ({row['phase']['failwatch']:.1f} s after a look; baseline "
                    f"{row['phase']['baseline']:.1f} s after a series' newest frame): failwatch paused after "
                    f"{row['failwatch_paused']} s (failing look sent {row['quick']}, series {row['series']}, "
                    f"verification {row['verification']}, confirmed {row['confirmed']}); baseline paused after "
                    f"{row['baseline_paused']} s (its calls {row['baseline_calls']}); Failwatch's looks "
                    f"{row['look_gaps']} s apart",
                    flush=True,
                )
    finally:
        for server in servers.values():
            server.stop()
        for stream in streams.values():
            stream.stop()
        model.stop()
        for camera in cameras.values():
            camera.stop()
    report(results, args.latency)


def report(results: list[dict], latency: float) -> None:
    def figure(values):
        values = [v for v in values if v is not None]
        return (median(values), max(values)) if values else (float("nan"), float("nan"))

    fw, base = figure(r["failwatch_paused"] for r in results), figure(r["baseline_paused"] for r in results)
    lag = median(lag for r in results for lag in r["picture_lag"])
    sim_fw, sim_base = simulated(latency, lag)
    print(
        f"\nOnset → Paused in real OctoPrint ({len(results)} onsets per policy at phases spread over its own cycle, "
        f"RTSP 640x480, {latency:g} s model latency), "
        f"seconds ({time.strftime('%Y-%m-%d')})\n"
    )
    print(f"{'':<34}{'p50':>8}{'worst':>8}")
    print(f"{'failwatch (defaults), end to end':<34}{fw[0]:>8.1f}{fw[1]:>8.1f}")
    print(f"{'baseline policy, end to end':<34}{base[0]:>8.1f}{base[1]:>8.1f}")
    print(f"{'ratio, end to end':<34}{fw[0] / base[0]:>8.2f}")
    confirmed = figure(r["confirmed"] for r in results)
    print(f"{'failwatch, end to end (confirmed)':<34}{confirmed[0]:>8.1f}{confirmed[1]:>8.1f}")
    print(
        f"\npicture lag (request received − scene time of its newest frame), median: {lag:.2f} s; "
        f"the simulated figures take it into account, and {STREAM_OPEN:g} s for the baseline to open the stream "
        "for a series' newest frame"
    )
    print(f"{'failwatch, simulated (confirmed)':<34}{sim_fw['p50']:>8.1f}{sim_fw['worst']:>8.1f}")
    print(f"{'baseline, simulated (confirmed)':<34}{sim_base['p50']:>8.1f}{sim_base['worst']:>8.1f}")
    print(f"{'ratio, simulated':<34}{sim_fw['p50'] / sim_base['p50']:>8.2f}")
    steps = {
        "onset → failing look sent": [r["quick"] for r in results],
        "onset → series sent": [r["series"] for r in results],
        "onset → 3rd verification sent": [
            r["verification"][2] if len(r["verification"]) > 2 else None for r in results
        ],
        "onset → confirmed": [r["confirmed"] for r in results],
        "onset → paused": [r["failwatch_paused"] for r in results],
    }
    print("\nWhere Failwatch's time goes (median over the onsets, seconds):")
    for step, values in steps.items():
        print(f"  {step:<32}{figure(values)[0]:>6.1f}")


if __name__ == "__main__":
    main()

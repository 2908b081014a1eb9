"""Failure onset → print paused, end to end in real OctoPrint, beside the baseline policy in the same run.

Two OctoPrint servers print on their virtual printers at the same time, watch the same demo RTSP camera
(640x480) and ask the same local Converse stand-in through real boto3 (each answer takes `--latency`
seconds): one runs Failwatch at its defaults, the other Failwatch set to the baseline policy (the
standalone tool's: a full series of 3 frames 10 s apart, the next after the verdict; 4 verification
series one after the other; frames full size). Both pause on a confirmed failure. For each onset both
prints start afresh and run until both have had a verdict; the camera then switches to "failed" at
phases spread evenly over Failwatch's 10 s look cycle (onset k of n comes (k + 0.5) / n x 10 s after a
look), so that five onsets give a fair median, not a lucky one. Onset → Paused is read from each
OctoPrint's job API every 50 ms; the model requests are logged by the stand-in (which printer asked,
when, what kind, the images), so the time can be split: onset → first look showing the failure sent →
series sent → verification sent → confirmed → paused. The scene stamps its clock into every frame, so
each request also tells how old its newest picture was when the model got it (the picture lag: stream
latency, capture, preparation, the request); the simulated figures beside are run with that lag.
Run: .venv/bin/python -m bench.e2e [--onsets 5] [--latency 3]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from statistics import median

from bench.latency import Truth, baseline_policy, failwatch
from demo.camera_server import CameraServer
from demo.model_server import ModelServer
from demo.octoprint_instance import OctoPrintServer, wait_for
from demo.rtsp_camera import RtspCamera
from demo.scene import read_stamp, shows_failure

MODEL = "us.amazon.nova-lite-v1:0"
KEYS = {"failwatch": "AKIAFAILWATCHDEFAULT", "baseline": "AKIAFAILWATCHBASELINE"}
BASELINE = {"quick_check": False, "pipeline_verification": False, "prefetch_verification": False,
            "image_long_side": 0}


def settings(name: str, rtsp_url: str, model: ModelServer) -> dict:
    return {"rtsp_url": rtsp_url, "inference_profile_arn": MODEL, "bedrock_endpoint_url": model.url,
            "aws_access_key_id": KEYS[name], "aws_secret_access_key": "bench", "credentials_file": "/nonexistent",
            "failure_action": "pause", "warmup_minutes": 0, **(BASELINE if name == "baseline" else {})}


def calls_after(model: ModelServer, name: str, since: float) -> list[dict]:
    return [r for r in list(model.converse_requests) if r["access_key"] == KEYS[name] and r["time"] >= since]


def one_onset(servers: dict, camera: CameraServer, model: ModelServer, phase: float) -> dict:
    camera.mode = "healthy"
    for server in servers.values():
        if server.job_state().startswith(("Printing", "Paused", "Pausing")):
            server.cancel_print()
        server.start_print(seconds=3600)
    for server in servers.values():
        server.wait_for_state("watching", timeout=60)
        wait_for(lambda server=server: server.plugin_status()["last_verdict"], 90, "a first verdict")
    looked = time.monotonic()
    look = wait_for(lambda: [r for r in calls_after(model, "failwatch", looked) if r["quick"]], 30, "a look")[0]
    time.sleep(max(0.0, look["time"] + phase - time.monotonic()))  # the phase is the experiment: not a wait
    onset, onset_wall = time.monotonic(), time.time()
    camera.mode = "failed"
    paused: dict[str, float] = {}
    deadline = onset + 180
    while len(paused) < len(servers) and time.monotonic() < deadline:
        for name, server in servers.items():
            if name not in paused and server.job_state() == "Paused":
                paused[name] = time.monotonic() - onset
        time.sleep(0.05)
    result = {f"{name}_paused": paused.get(name) for name in servers}
    result["phase"] = onset - look["time"]
    calls = calls_after(model, "failwatch", onset)
    quick = [r["time"] - onset for r in calls if r["quick"] and shows_failure(r["images"][-1])]
    full = [r["time"] - onset for r in calls if not r["quick"]]
    result.update(quick=quick[0] if quick else None, series=full[0] if full else None,
                  verification=full[1:4] if len(full) > 1 else [])
    result["picture_lag"] = [r["time"] - camera.started - read_stamp(r["images"][-1])
                             for r in calls_after(model, "failwatch", looked)]
    status = servers["failwatch"].plugin_status()
    failure = status.get("last_failure") or {}
    result["confirmed"] = failure["time"] - onset_wall if failure else None
    camera.mode = "healthy"
    return result


def simulated(latency: float, picture_lag: float = 0.0, runs: int = 200) -> tuple[dict, dict]:
    """The same scenario in simulated time (bench/latency.py): onset → confirmed, p50 and worst, for both."""
    figures = {}
    for name, policy in (("failwatch", lambda truth: failwatch(truth, latency, truth.onset + 300)),
                         ("baseline", lambda truth: baseline_policy(truth, latency, truth.onset + 300))):
        rng = random.Random(7)
        delays = []
        for _ in range(runs):
            truth = Truth(600 + rng.uniform(0, 60), picture_lag=picture_lag)
            delays.append(min(t for t in policy(truth) if t >= truth.onset) - truth.onset)
        figures[name] = {"p50": median(delays), "worst": max(delays)}
    return figures["failwatch"], figures["baseline"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onsets", type=int, default=5)
    parser.add_argument("--latency", type=float, default=3.0)
    args = parser.parse_args()
    camera = CameraServer(size=(640, 480)).start()
    model = ModelServer().start()
    model.latency = args.latency
    rtsp = RtspCamera("--mjpeg", camera.stream_url).start()
    servers: dict[str, OctoPrintServer] = {}
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="failwatch-e2e-") as folder:
            for name in ("failwatch", "baseline"):
                servers[name] = OctoPrintServer(Path(folder) / name, settings(name, rtsp.url, model), event_log=False)
                servers[name].prepare()
                servers[name].start()
            for number in range(1, args.onsets + 1):
                phase = (number - 0.5) / args.onsets * 10.0
                results.append(one_onset(servers, camera, model, phase))
                row = results[-1]
                print(f"onset {number} ({row['phase']:.1f} s after a look): failwatch paused after "
                      f"{row['failwatch_paused']} s (failing look sent {row['quick']}, series {row['series']}, "
                      f"verification {row['verification']}, confirmed {row['confirmed']}); baseline paused after "
                      f"{row['baseline_paused']} s", flush=True)
    finally:
        for server in servers.values():
            server.stop()
        rtsp.stop()
        model.stop()
        camera.stop()
    report(results, args.latency)


def report(results: list[dict], latency: float) -> None:
    def figure(values):
        values = [v for v in values if v is not None]
        return (median(values), max(values)) if values else (float("nan"), float("nan"))

    fw, base = figure(r["failwatch_paused"] for r in results), figure(r["baseline_paused"] for r in results)
    lag = median(lag for r in results for lag in r["picture_lag"])
    sim_fw, sim_base = simulated(latency, lag)
    print(f"\nOnset → Paused in real OctoPrint ({len(results)} onsets, RTSP 640x480, {latency:g} s model latency), "
          f"seconds ({time.strftime('%Y-%m-%d')})\n")
    print(f"{'':<34}{'p50':>8}{'worst':>8}")
    print(f"{'failwatch (defaults), end to end':<34}{fw[0]:>8.1f}{fw[1]:>8.1f}")
    print(f"{'baseline policy, end to end':<34}{base[0]:>8.1f}{base[1]:>8.1f}")
    print(f"{'ratio, end to end':<34}{fw[0] / base[0]:>8.2f}")
    confirmed = figure(r["confirmed"] for r in results)
    print(f"{'failwatch, end to end (confirmed)':<34}{confirmed[0]:>8.1f}{confirmed[1]:>8.1f}")
    print(f"\npicture lag (request received − scene time of its newest frame), median: {lag:.2f} s; "
          "the simulated figures take it into account")
    print(f"{'failwatch, simulated (confirmed)':<34}{sim_fw['p50']:>8.1f}{sim_fw['worst']:>8.1f}")
    print(f"{'baseline, simulated (confirmed)':<34}{sim_base['p50']:>8.1f}{sim_base['worst']:>8.1f}")
    print(f"{'ratio, simulated':<34}{sim_fw['p50'] / sim_base['p50']:>8.2f}")
    steps = {"onset → failing look sent": [r["quick"] for r in results],
             "onset → series sent": [r["series"] for r in results],
             "onset → 3rd verification sent": [r["verification"][2] if len(r["verification"]) > 2 else None
                                               for r in results],
             "onset → confirmed": [r["confirmed"] for r in results],
             "onset → paused": [r["failwatch_paused"] for r in results]}
    print("\nWhere Failwatch's time goes (median over the onsets, seconds):")
    for step, values in steps.items():
        print(f"  {step:<32}{figure(values)[0]:>6.1f}")


if __name__ == "__main__":
    main()

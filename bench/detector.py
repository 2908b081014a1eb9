"""The on-device detector, end to end on real photos: onset → Paused, cloud calls per healthy hour, CPU and memory.

Three OctoPrint servers print on their virtual printers at the same time, each watched through its own HTTP
snapshot camera serving PrintNanny's real camera photos (healthy: photo 4 as a working printer shows it, its head
and bed moving, `demo.printnanny_motion`; the failure: spaghetti photos 0 and 6 in turn), all asking one local
Converse stand-in through real boto3 (each answer takes `--latency` seconds). The stand-in is a model that is
right on these pictures (`demo.photo_judge`): it never runs the detector, so the detector and the judge are not
the same eyes. Side by side:

- local first look: Failwatch's defaults with `local_detector: printnanny` (a frame every 2 s to the
  detector, the model's quick look every 30 s);
- Failwatch's defaults (a quick look every 10 s);
- the baseline policy, run as the standalone tool runs it (bench/e2e.py's `BaselinePolicy`).

First a healthy window of `--healthy` seconds: cloud calls and dollars per hour of each, and the CPU
(% of one core) and resident memory of each OctoPrint process — the local one minus the defaults one is
what the detector adds (`--healthy 0` skips it). Then `--onsets` failures: each starts a fresh print on all
three, waits for the steady state and switches all three cameras to spaghetti at a delay spread over the
baseline's cycle; onset → Paused is read from each OctoPrint's job API every 50 ms. Then `--missed` failures
of each kind the detector was not trained to see — the part knocked loose, swept off the plate, a layer shift
(`failed_photo`), which the detector scores near 0 and the stand-in model knows as failed: what the picture-change
eye and the model's look every 30 s are for. Their onsets come `UNTRAINED_SETTLE` seconds into the watch: the
change eye learns the picture for its first minute and a half. Which eye raised each local alarm is counted. Last,
the detector alone in this process: ms per frame on the 7 photos (as they are, and at 1280x720), and the memory it
adds.
Run: .venv/bin/python -m bench.detector [--onsets 8] [--missed 6] [--latency 3] [--healthy 300] [--kinds moved ...]
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Optional

from PIL import Image

from bench.e2e import BaselinePolicy
from demo.camera_server import CameraServer
from demo.model_server import ModelServer
from demo.octoprint_instance import OctoPrintServer, wait_for
from demo.photo_judge import printnanny_judge
from demo.printnanny import fetch
from demo.printnanny_motion import UNTRAINED, WORKING, moving_frames, working_printer
from octoprint_failwatch.config import build_config

MODEL = "us.amazon.nova-lite-v1:0"
NAMES = ("local", "failwatch", "baseline")
KEYS = {"local": "AKIAFAILWATCHLOCAL", "failwatch": "AKIAFAILWATCHDEFAULT", "baseline": "AKIAFAILWATCHBASELINE"}
BASELINE_CYCLE = 24.4  # s between the baseline's judged pictures at 3 s (bench/e2e.py): onsets are spread over it
SETTLE = 12.0  # s after every policy has had a verdict before an onset
UNTRAINED_SETTLE = 100.0  # s before an untrained failure's onset: past the change eye's learning
FRAMES = 60  # frames of each picture the cameras serve in turn


def settings(name: str, camera: CameraServer, model: ModelServer) -> dict:
    own = {
        "snapshot_url": camera.url,
        "inference_profile_arn": MODEL,
        "bedrock_endpoint_url": model.url,
        "aws_access_key_id": KEYS[name],
        "aws_secret_access_key": "bench",
        "credentials_file": "/nonexistent",
        "failure_action": "pause",
        "warmup_minutes": 0,
        "image_long_side": 0 if name == "baseline" else 768,
    }
    if name == "local":
        own["local_detector"] = "printnanny"
    return own


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_prints(servers: dict, cameras: dict, healthy: list, model: ModelServer) -> BaselinePolicy:
    for name, server in servers.items():
        cameras[name].show_photos(healthy)
        if server.job_state().startswith(("Printing", "Paused", "Pausing")):
            server.cancel_print()
        server.start_print(seconds=3600, preview=True)  # a sliced file: the full looks carry its preview
    config, errors = build_config(settings("baseline", cameras["baseline"], model))
    assert not errors, errors
    baseline = BaselinePolicy(servers["baseline"], config)
    baseline.start()
    for name in ("local", "failwatch"):
        servers[name].wait_for_state("watching", timeout=60)
        wait_for(lambda name=name: servers[name].plugin_status()["last_verdict"], 90, f"{name}'s first verdict")
    wait_for(lambda: baseline.verdicts, 90, "the baseline's first verdict")
    return baseline


def healthy_window(servers, cameras, healthy, model, seconds: float) -> dict:
    baseline = start_prints(servers, cameras, healthy, model)
    start, started = time.monotonic(), {}
    for name in ("local", "failwatch"):
        pid = servers[name].process.pid
        status = servers[name].plugin_status()["counters"]
        started[name] = (cpu_seconds(pid), status["calls"], status["cost_usd"], status["local_looks"])
    time.sleep(seconds)  # the window measured: the servers work meanwhile, nothing here waits for them
    elapsed = time.monotonic() - start
    figures = {}
    for name in ("local", "failwatch"):
        pid = servers[name].process.pid
        status = servers[name].plugin_status()["counters"]
        cpu0, calls0, cost0, looks0 = started[name]
        figures[name] = {
            "calls_per_hour": (status["calls"] - calls0) * 3600 / elapsed,
            "usd_per_hour": (status["cost_usd"] - cost0) * 3600 / elapsed,
            "cpu_percent": 100 * (cpu_seconds(pid) - cpu0) / elapsed,
            "rss_mib": rss_mib(pid),
            "local_looks_per_hour": (status["local_looks"] - looks0) * 3600 / elapsed,
        }
    calls = [cost for at, cost in baseline.calls if at >= start]
    figures["baseline"] = {"calls_per_hour": len(calls) * 3600 / elapsed, "usd_per_hour": sum(calls) * 3600 / elapsed}
    baseline.stopping.set()
    baseline.join(timeout=60)
    return figures


def one_onset(servers, cameras, healthy, model, delay: float, failure: list, settle: float = SETTLE) -> dict:
    baseline = start_prints(servers, cameras, healthy, model)
    local = servers["local"]
    wait_for(lambda: local.plugin_status()["counters"]["local_looks"] >= 3, 60, "the detector's looks")
    time.sleep(settle + delay)  # the onset's phase is the experiment: a wall-clock delay on purpose
    onset = time.monotonic()
    for name in NAMES:
        cameras[name].show_photos(failure)
    paused: dict = {}
    while len(paused) < len(NAMES) and time.monotonic() < onset + 180:
        for name in NAMES:
            if name not in paused and servers[name].job_state() == "Paused":
                paused[name] = time.monotonic() - onset
        time.sleep(0.05)
    baseline.stopping.set()
    baseline.join(timeout=60)
    incident = local.failwatch("GET", "incidents").json()["incidents"]
    raised_by = ((incident[0] if incident else {}).get("quick") or {}).get("source")
    return {"paused": paused, "raised_by": raised_by}


def detector_speed(nanny) -> dict:
    from octoprint_failwatch.analysis.local_model import load_detector

    config, _ = build_config({"local_detector": "printnanny"})
    detector = load_detector(config, nanny.cache)
    hd = {}
    for number, jpeg in nanny.photos.items():
        image = Image.open(io.BytesIO(jpeg)).convert("RGB").resize((1280, 720))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
        hd[number] = out.getvalue()
    figures = {}
    for label, photos in (("photos as they are", nanny.photos), ("photos at 1280x720", hd)):
        detector.inspect(photos[0])  # the first run allocates
        times = [detector.inspect(jpeg).ms for _ in range(5) for jpeg in photos.values()]
        figures[label] = (median(times), max(times))
    figures["the picture-change eye"] = change_eye_speed(moving_frames(nanny.photo(WORKING), WORKING, 150, draw=9))
    return figures


def change_eye_speed(frames: list) -> tuple[float, float]:
    """ms per look of the picture-change eye, a look every 2 s, once it holds a full window of frames to compare."""
    from octoprint_failwatch.analysis.picture_change import PictureChange
    from octoprint_failwatch.frame import Frame

    eye, times = PictureChange(), []
    for number, jpeg in enumerate(frames * 2):  # 10 minutes: the window (5 min) full for the second half
        started = time.perf_counter()
        eye.observe(Frame(jpeg, number * 2.0, number * 2.0))
        if number >= len(frames):
            times.append((time.perf_counter() - started) * 1000)
    return median(times), max(times)


MEMORY_PROBE = """
import io, sys
from pathlib import Path
from PIL import Image  # OctoPrint has Pillow loaded already
def rss():
    return next(int(l.split()[1]) for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmRSS"))
before = rss()
from octoprint_failwatch.analysis.local_model import load_detector
from octoprint_failwatch.config import build_config
detector = load_detector(build_config({"local_detector": "printnanny"})[0], Path(sys.argv[1]))
for photo in sys.argv[2:]:
    detector.inspect(Path(photo).read_bytes())
print((rss() - before) / 1024)
"""


def detector_memory(nanny) -> float:
    """MiB the detector adds to a process that has Pillow loaded: its runtime, NumPy, the model, inferences."""
    import subprocess
    import sys

    with tempfile.TemporaryDirectory() as folder:
        photos = []
        for number, jpeg in nanny.photos.items():
            photos.append(Path(folder) / f"{number}.jpg")
            photos[-1].write_bytes(jpeg)
        done = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, str(nanny.cache), *map(str, photos)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onsets", type=int, default=8)
    parser.add_argument("--latency", type=float, default=3.0)
    parser.add_argument("--missed", type=int, default=6)
    parser.add_argument("--healthy", type=float, default=300.0)
    parser.add_argument("--kinds", nargs="+", choices=UNTRAINED, default=UNTRAINED, help="the untrained failures")
    args = parser.parse_args()
    nanny = fetch()
    spaghetti = [nanny.photo(n) for n in (0, 6)]
    working = working_printer(nanny.photo(WORKING), FRAMES)
    healthy = working["healthy"]
    model = ModelServer().start()
    model.latency = args.latency
    model.judge = printnanny_judge(nanny.photos, working)
    cameras = {name: CameraServer().start() for name in NAMES}
    servers: dict[str, OctoPrintServer] = {}
    onsets: list = []
    missed: dict = {kind: [] for kind in args.kinds}
    healthy_figures = None
    try:
        with tempfile.TemporaryDirectory(prefix="failwatch-detector-") as folder:
            for name in NAMES:
                # the baseline's printer is watched by BaselinePolicy: its Failwatch has no model, so it waits
                own = settings(name, cameras[name], model) if name != "baseline" else {}
                servers[name] = OctoPrintServer(Path(folder) / name, own, event_log=False)
                servers[name].prepare()
                if name == "local":  # as a first fetch leaves it
                    import shutil

                    shutil.copytree(nanny.cache, Path(folder) / name / "data" / "failwatch" / "models")
                servers[name].start()
            wait_for(lambda: servers["local"].plugin_status()["detector"]["state"] == "ready", 120, "the detector")
            if args.healthy:
                healthy_figures = healthy_window(servers, cameras, healthy, model, args.healthy)
                print(
                    "healthy window:",
                    {k: {m: round(v, 3) for m, v in f.items()} for k, f in healthy_figures.items()},
                    flush=True,
                )
            runs = [(onsets, args.onsets, spaghetti, "spaghetti", SETTLE)]
            runs += [(missed[kind], args.missed, working[kind], kind, UNTRAINED_SETTLE) for kind in args.kinds]
            for results, count, failure, what, settle in runs:
                for number in range(1, count + 1):
                    delay = (number - 0.5) / count * BASELINE_CYCLE
                    results.append(one_onset(servers, cameras, healthy, model, delay, failure, settle))
                    print(
                        f"{what} onset {number} ({delay:.1f} s into the spread): paused after "
                        + ", ".join(f"{name} {results[-1]['paused'].get(name, float('nan')):.1f} s" for name in NAMES)
                        + f"; the local alarm raised by the {results[-1]['raised_by']}",
                        flush=True,
                    )
    finally:
        for server in servers.values():
            server.stop()
        model.stop()
        for camera in cameras.values():
            camera.stop()
    report(healthy_figures, onsets, missed, detector_speed(nanny), detector_memory(nanny), args)


def onset_table(title: str, onsets: list, args) -> None:
    def figure(name):
        values = [o["paused"][name] for o in onsets if name in o["paused"]]
        return (median(values), max(values), len(values)) if values else (float("nan"),) * 2 + (0,)

    if not onsets:
        return
    base = figure("baseline")
    print(
        f"\n{title}: onset → Paused in real OctoPrint ({len(onsets)} onsets spread over the baseline's cycle, "
        f"{args.latency:g} s model latency), seconds ({time.strftime('%Y-%m-%d')})\n"
    )
    print(f"{'':<36}{'p50':>7}{'worst':>7}{'paused':>8}{'× baseline':>12}")
    for name, words in (
        ("local", "local first look (printnanny)"),
        ("failwatch", "Failwatch defaults"),
        ("baseline", "baseline policy"),
    ):
        p50, worst, count = figure(name)
        print(f"{words:<36}{p50:>7.1f}{worst:>7.1f}{count:>5}/{len(onsets):<2}{p50 / base[0]:>12.2f}")
    raised = [o["raised_by"] for o in onsets]
    print(
        f"the local first look's alarms raised by: the detector {raised.count('detector')}, the picture-change eye "
        f"{raised.count('change')}, the model's look {len(raised) - raised.count('detector') - raised.count('change')}"
    )


UNTRAINED_WORDS = {"moved": "the part knocked loose", "swept": "the part swept off", "layer_shift": "a layer shift"}


def report(healthy: Optional[dict], onsets: list, missed: dict, speed: dict, memory: float, args) -> None:
    onset_table("Spaghetti (PrintNanny's photos 0 and 6)", onsets, args)
    for kind, results in missed.items():
        onset_table(f"A failure the detector was not trained for: {UNTRAINED_WORDS[kind]}", results, args)
    if healthy:
        healthy_table(healthy, args)
    print(
        f"the detector alone adds {memory:.0f} MiB to a process (its runtime, NumPy, the model; measured apart: "
        "the RSS of two OctoPrints differs by more than that from run to run)"
    )
    print("\nThe local eyes alone, ms per frame (the detector: decode, crop, resize, inference), one thread:")
    for label, (p50, worst) in speed.items():
        print(f"  {label:<24} p50 {p50:>5.1f}   worst {worst:>5.1f}")


def healthy_table(healthy: dict, args) -> None:
    print(f"\nA healthy hour ({args.healthy:g} s measured):")
    print(f"{'':<36}{'calls/h':>9}{'USD/h':>9}{'CPU %':>8}{'RSS MiB':>9}")
    for name, words in (
        ("local", "local first look"),
        ("failwatch", "Failwatch defaults"),
        ("baseline", "baseline policy"),
    ):
        f = healthy[name]
        cpu = f"{f['cpu_percent']:>8.1f}" if "cpu_percent" in f else f"{'–':>8}"
        rss = f"{f['rss_mib']:>9.0f}" if "rss_mib" in f else f"{'–':>9}"
        print(f"{words:<36}{f['calls_per_hour']:>9.0f}{f['usd_per_hour']:>9.4f}{cpu}{rss}")
    added_cpu = healthy["local"]["cpu_percent"] - healthy["failwatch"]["cpu_percent"]
    added_rss = healthy["local"]["rss_mib"] - healthy["failwatch"]["rss_mib"]
    print(
        f"the detector adds {added_cpu:.1f} % of one core and {added_rss:.0f} MiB to OctoPrint "
        f"({healthy['local']['local_looks_per_hour']:.0f} detector looks per hour)"
    )


if __name__ == "__main__":
    main()

"""Judgment on real photos: `failwatch evaluate` on recordings built from PrintNanny's camera photos — failing prints
caught and how fast, false alarms and pauses per 100 print-hours, which eye raised each alarm, model calls per
healthy print-hour — for Failwatch's defaults, the on-device detector first, and offline (the detector alone),
side by side, and how many times faster than real time the replay runs.

The recordings (fetched with pip as the tests do, nothing tuned to them): each photo held as a still camera gives
it — its own sensor noise and exposure drift every frame, a frame every 2 s, `pause` on failure. Healthy prints:
photos 2 and 4, and photo 1, a draped organic print the detector scores as spaghetti (the look-alike every
detector user meets). Failing prints: a healthy photo, then from `--onset` minutes a spaghetti photo (0, 3, 5, 6).
A working printer too (photo 4 with its head and bed moving, `demo.printnanny_motion`: 60 frames served in turn):
healthy, and with the failures the detector was not trained for from `--onset` minutes (the part knocked loose,
swept off, a layer shift). The model is the local Converse stand-in through real boto3, right on these pictures
(`demo.photo_judge`) — it never runs the detector.
Run: .venv/bin/python -m bench.judgment [--minutes 20] [--onset 10] [--latency 3]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from demo.model_server import ModelServer
from demo.photo_judge import printnanny_judge
from demo.printnanny import fetch, write_frames, write_recording
from demo.printnanny_motion import UNTRAINED, WORKING, working_printer
from octoprint_failwatch.config import raw_from_environment
from octoprint_failwatch.evaluation.recordings import load_dataset
from octoprint_failwatch.evaluation.replay import evaluate
from octoprint_failwatch.evaluation.report import print_table

INTERVAL = 2.0
HEALTHY_PRINTS = {"healthy-2": 2, "healthy-4": 4, "organic-1": 1}
FAILING_PRINTS = {"spaghetti-0": (2, 0), "spaghetti-3": (4, 3), "spaghetti-5": (2, 5), "spaghetti-6": (4, 6)}
CYCLE = 60  # distinct frames of a working printer, served in turn
GROUPS = (
    "failure_action=pause",
    "failure_action=pause,local_detector=printnanny",
    "failure_action=pause,model_backend=local,local_detector=printnanny",
)


def cycled(frames: list, count: int) -> list:
    return [frames[index % len(frames)] for index in range(count)]


def build(folder: Path, minutes: float, onset: float, working: dict) -> Path:
    nanny = fetch()
    frames, before = round(minutes * 60 / INTERVAL), round(onset * 60 / INTERVAL)
    labels = []
    write_frames(folder / "working-4", cycled(working["healthy"], frames))
    labels.append({"print": "working-4", "frames": "working-4", "frame_interval": INTERVAL, "onset": None})
    for step, kind in enumerate(UNTRAINED):
        start = before + 2 * step
        name = f"{kind}-4"
        write_frames(folder / name, cycled(working["healthy"], start) + cycled(working[kind], frames - start))
        labels.append({"print": name, "frames": name, "frame_interval": INTERVAL, "onset": start * INTERVAL})
    for draw, (name, photo) in enumerate(HEALTHY_PRINTS.items()):
        write_recording(folder / name, [(photo, frames)], nanny, draw)
        labels.append({"print": name, "frames": name, "frame_interval": INTERVAL, "onset": None})
    for step, (name, (healthy, failed)) in enumerate(FAILING_PRINTS.items()):
        start = before + 2 * step  # onsets 4 s apart: spread over the 10 s between the defaults' looks
        write_recording(folder / name, [(healthy, start), (failed, frames - start)], nanny, 10 + step)
        entry = {"print": name, "frames": name, "frame_interval": INTERVAL, "onset": start * INTERVAL}
        labels.append(entry)
    labels = [{**entry, "print_time_at_start": 600} for entry in labels]
    (folder / "labels.json").write_text(json.dumps(labels, indent=1))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="length of each recording")
    parser.add_argument("--onset", type=float, default=10.0, help="minutes into a failing recording its failure starts")
    parser.add_argument("--latency", type=float, default=3.0, help="simulated seconds a model call takes")
    args = parser.parse_args()
    nanny = fetch()
    working = working_printer(nanny.photo(WORKING), CYCLE)
    model = ModelServer().start()
    model.judge = printnanny_judge(nanny.photos, working)
    try:
        with tempfile.TemporaryDirectory(prefix="failwatch-judgment-") as scratch:
            os.environ["XDG_CACHE_HOME"] = str(nanny.cache.parent / "xdg")  # where the replay finds the detector
            (nanny.cache.parent / "xdg").mkdir(exist_ok=True)
            if not (nanny.cache.parent / "xdg" / "failwatch").exists():
                (nanny.cache.parent / "xdg" / "failwatch").symlink_to(nanny.cache)
            dataset = load_dataset(build(Path(scratch), args.minutes, args.onset, working))
            base = raw_from_environment(
                {
                    "INFERENCE_PROFILE_ARN": "us.amazon.nova-lite-v1:0",
                    "BEDROCK_ENDPOINT_URL": model.url,
                    "AWS_ACCESS_KEY_ID": "AKIAJUDGMENT",
                    "AWS_SECRET_ACCESS_KEY": "bench",
                    "AWS_CREDENTIALS_FILE": "/nonexistent",
                }
            )
            groups = [dict(part.split("=") for part in group.split(",")) for group in GROUPS]
            started = time.monotonic()
            report = evaluate(dataset, base, groups, args.latency)
            wall = time.monotonic() - started
    finally:
        model.stop()
    print_table(report)
    print_hours = next(iter(report.values()))["overall"]["print_hours"] * len(report)  # every group replays them all
    print(
        f"\nreplayed {print_hours:.1f} print-hours in {wall:.0f} s: {print_hours * 3600 / wall:.0f}x real time "
        f"({len(dataset.recordings)} recordings of {args.minutes:g} min, {len(report)} setting groups)"
    )


if __name__ == "__main__":
    main()

"""`failwatch evaluate` replays what ships: the on-device detector's first look and the offline watch, on real
camera photos (PrintNanny's, with a still camera's noise), through the session's own assembly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from demo.printnanny import write_recording

from conftest import MODEL_ID

INTERVAL = 2.0  # seconds between the recordings' frames
STARTED = 600  # the recordings are clips from ten minutes into their prints (past the warm-up)


def evaluate(tmp_path, printnanny, model, labels: list[dict], *groups: str) -> dict:
    dataset = tmp_path / "dataset"
    (dataset / "labels.json").write_text(json.dumps(labels))
    cache = tmp_path / "xdg"  # the daemon's cache is $XDG_CACHE_HOME/failwatch: the fetched model is found there
    if not (cache / "failwatch").exists():
        shutil.copytree(printnanny.cache, cache / "failwatch")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "XDG_CACHE_HOME": str(cache),
        "INFERENCE_PROFILE_ARN": MODEL_ID,
        "BEDROCK_ENDPOINT_URL": model.url,
        "AWS_ACCESS_KEY_ID": "AKIAREPLAY",
        "AWS_SECRET_ACCESS_KEY": "replay",
        "AWS_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    out = tmp_path / "report.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "octoprint_failwatch",
            "evaluate",
            str(dataset),
            "--compare",
            *groups,
            "--latency",
            "3",
            "--json",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(out.read_text())


def test_the_replay_of_a_healthy_print_with_the_detector_makes_fewer_model_calls_than_the_defaults(
    tmp_path, printnanny, model
):
    model.verdict, model.faults[:] = "healthy", []
    write_recording(tmp_path / "dataset" / "healthy", [(4, 150)], printnanny)  # five minutes of a healthy print
    labels = [
        {
            "print": "healthy",
            "frames": "healthy",
            "frame_interval": INTERVAL,
            "onset": None,
            "print_time_at_start": STARTED,
        }
    ]
    report = evaluate(tmp_path, printnanny, model, labels, "", "local_detector=printnanny")
    defaults = report["settings as configured"]["overall"]
    detector = report["local_detector=printnanny"]["overall"]
    assert defaults["errors"] == detector["errors"] == 0
    assert defaults["false_alarms_per_print_hour"] == detector["false_alarms_per_print_hour"] == 0
    # the detector looks at every frame for free: the model only every 30 s instead of every 10 s
    assert 0 < detector["calls"] <= 0.5 * defaults["calls"]


def test_the_offline_replay_confirms_a_spaghetti_recording_with_no_error(tmp_path, printnanny, model):
    # two minutes of a healthy print, then spaghetti (PrintNanny's photo 3) for three
    write_recording(tmp_path / "dataset" / "spaghetti", [(4, 60), (3, 90)], printnanny)
    labels = [
        {
            "print": "spaghetti",
            "frames": "spaghetti",
            "frame_interval": INTERVAL,
            "onset": 60 * INTERVAL,
            "print_time_at_start": STARTED,
        }
    ]
    report = evaluate(tmp_path, printnanny, model, labels, "model_backend=local,local_detector=printnanny")
    overall = report["model_backend=local, local_detector=printnanny"]["overall"]
    assert overall["errors"] == 0 and overall["recall"] == 1.0 and overall["precision"] == 1.0
    assert overall["cost_usd"] == 0  # no cloud at all
    assert overall["onset_to_confirmed_max"] <= 30


def test_a_replay_that_could_judge_nothing_is_an_error_naming_what_is_missing(tmp_path):
    (tmp_path / "labels.json").write_text("[]")
    run = subprocess.run(
        [sys.executable, "-m", "octoprint_failwatch", "evaluate", str(tmp_path), "--compare", "model_backend=local"],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
    )
    assert run.returncode == 2 and "On-device detector" in run.stderr

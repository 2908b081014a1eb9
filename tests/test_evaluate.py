"""The replay evaluator on the project's synthetic labelled set, against the local model server."""

import json
import os
import subprocess
import sys

from demo.make_dataset import make_dataset


def evaluate_environment(model, tmp_path) -> dict:
    """The daemon's variables for the local model, without the machine's own AWS settings."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "INFERENCE_PROFILE_ARN": "us.amazon.nova-lite-v1:0",
        "BEDROCK_ENDPOINT_URL": model.url,
        "AWS_ACCESS_KEY_ID": "AKIAEVALUATE",
        "AWS_SECRET_ACCESS_KEY": "evaluate",
        "AWS_CREDENTIALS_FILE": str(tmp_path / "none"),
    }


def test_the_evaluator_gives_the_numbers_the_local_models_behaviour_implies(tmp_path, model):
    model.verdict, model.faults[:], model.false_positive_rate = "scene", [], 0.0
    dataset = make_dataset(tmp_path / "dataset")
    env = evaluate_environment(model, tmp_path)
    out = tmp_path / "report.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "octoprint_failwatch",
            "evaluate",
            str(dataset),
            "--compare",
            "quick_check=false,pipeline_verification=false",
            "quick_check=false",
            "",
            "--latency",
            "3",
            "--json",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "precision" in run.stdout and "failing-1" in run.stdout
    report = json.loads(out.read_text())
    sequential = report["quick_check=false, pipeline_verification=false"]["overall"]
    interleaved = report["quick_check=false"]["overall"]
    defaults = report["settings as configured"]["overall"]
    for overall in (sequential, interleaved, defaults):
        # the local model sees strands exactly when the scene shows them: every failure, nothing else
        assert overall["precision"] == 1.0 and overall["recall"] == 1.0
        assert overall["false_alarms_per_print_hour"] == 0 and overall["errors"] == 0
        assert overall["input_tokens"] > 0 and overall["cost_usd"] > 0
    # healthy prints of 300 s: the standalone schedule makes one call per 30 s; quick checks one per frame
    # from 20 s on, each of a single image and a short question
    healthy = {
        name: [p for p in report[name]["prints"] if p["onset"] is None]
        for name in ("quick_check=false", "settings as configured")
    }
    assert [p["calls"] for p in healthy["quick_check=false"]] == [10, 10]
    assert [p["calls"] for p in healthy["settings as configured"]] == [28, 28]
    per_call = {
        name: sum(p["input_tokens"] for p in prints) / sum(p["calls"] for p in prints)
        for name, prints in healthy.items()
    }
    assert per_call["settings as configured"] < 0.5 * per_call["quick_check=false"]
    # verification after a positive: sequential 3 x (4 s + 3 s latency) vs interleaved 5.5 s + 3 s;
    # quick checks see the failure at the next frame
    assert interleaved["onset_to_confirmed_median"] < sequential["onset_to_confirmed_median"]
    assert defaults["onset_to_confirmed_median"] < interleaved["onset_to_confirmed_median"]
    assert defaults["onset_to_confirmed_max"] <= 25


def test_a_missing_dataset_is_a_clear_error(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "octoprint_failwatch", "evaluate", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "INFERENCE_PROFILE_ARN": "us.amazon.nova-lite-v1:0"},
    )
    assert run.returncode == 2 and "labels.json" in run.stderr


def test_a_not_a_failure_label_in_a_timelapse_teaches_the_rest_of_the_print(tmp_path, model):
    model.verdict, model.faults[:], model.false_positive_rate = "scene", [], 0.0
    dataset = make_dataset(tmp_path / "dataset")
    # the failing print's strands, labelled as a look-alike: once as it is, once dismissed after the first alarm
    labels = [
        {
            "print": "look-alike",
            "frames": "failing-1",
            "frame_interval": 2.0,
            "onset": None,
            "print_time_at_start": 600,
        },
        {
            "print": "look-alike dismissed",
            "frames": "failing-1",
            "frame_interval": 2.0,
            "onset": None,
            "not_a_failure": [150],
            "print_time_at_start": 600,
        },
    ]
    (dataset / "labels.json").write_text(json.dumps(labels))
    env = evaluate_environment(model, tmp_path)
    out = tmp_path / "report.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "octoprint_failwatch",
            "evaluate",
            str(dataset),
            "--compare",
            "cooldown_minutes=0.5,resume_grace_minutes=0",
            "--latency",
            "3",
            "--json",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    prints = {
        p["print"]: p for p in json.loads(out.read_text())["cooldown_minutes=0.5, resume_grace_minutes=0"]["prints"]
    }
    assert prints["look-alike"]["false_alarms"] >= 3  # alarmed again after every cooldown
    assert prints["look-alike dismissed"]["false_alarms"] == 1  # the first one only
    assert prints["look-alike dismissed"]["calls"] < prints["look-alike"]["calls"]

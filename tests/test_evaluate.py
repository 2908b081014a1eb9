"""`failwatch evaluate` replays what ships: on the project's synthetic labelled set against the local model server,
and on real camera photos (PrintNanny's, with a still camera's noise) with the on-device detector's first look and
the offline watch, through the session's own assembly."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from demo.make_dataset import make_dataset
from demo.printnanny import write_recording, write_timelapse

INTERVAL = 2.0  # seconds between the recordings' frames
STARTED = 600  # the recordings are clips from ten minutes into their prints (past the warm-up)


@pytest.fixture
def healthy_model(model):
    """The local model seeing a healthy print whatever it is shown; the other tests' "scene" afterwards."""
    model.verdict, model.faults[:] = "healthy", []
    yield model
    model.verdict = "scene"


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


def evaluate(dataset, env: dict, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    """`failwatch evaluate DATASET ARGS` as a user runs it; its printed table and its JSON report."""
    out = dataset.parent / "report.json"
    command = [sys.executable, "-m", "octoprint_failwatch", "evaluate", str(dataset), *args, "--json", str(out)]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return run, json.loads(out.read_text())


def label_one_print(dataset, name: str, onset) -> None:
    """labels.json for one recording of PrintNanny's photos, `onset` seconds in (None: healthy)."""
    entry = {"print": name, "frames": name, "frame_interval": INTERVAL, "onset": onset, "print_time_at_start": STARTED}
    (dataset / "labels.json").write_text(json.dumps([entry]))


def with_detector_cache(env: dict, tmp_path, printnanny) -> dict:
    """The daemon's cache is $XDG_CACHE_HOME/failwatch: PrintNanny's fetched model is found there."""
    cache = tmp_path / "xdg"
    if not (cache / "failwatch").exists():
        shutil.copytree(printnanny.cache, cache / "failwatch")
    return {**env, "XDG_CACHE_HOME": str(cache)}


def test_the_evaluator_gives_the_numbers_the_local_models_behaviour_implies(tmp_path, model):
    model.verdict, model.faults[:], model.false_positive_rate = "scene", [], 0.0
    dataset = make_dataset(tmp_path / "dataset")
    groups = ("quick_check=false,pipeline_verification=false", "quick_check=false", "")
    run, report = evaluate(dataset, evaluate_environment(model, tmp_path), "--compare", *groups, "--latency", "3")
    assert "precision" in run.stdout and "failing-1" in run.stdout
    sequential = report["quick_check=false, pipeline_verification=false"]["overall"]
    interleaved = report["quick_check=false"]["overall"]
    defaults = report["settings as configured"]["overall"]
    for overall in (sequential, interleaved, defaults):
        # the local model sees strands exactly when the scene shows them: every failure, nothing else
        assert overall["precision"] == 1.0 and overall["recall"] == 1.0
        assert overall["false_alarms_per_print_hour"] == 0 and overall["errors"] == 0
        assert overall["input_tokens"] > 0 and overall["cost_usd"] > 0
    # healthy prints of 300 s: the standalone schedule makes one call per 30 s; quick checks one per frame
    # from the first, each of a single image and a short question
    healthy = {
        name: [p for p in report[name]["prints"] if p["onset"] is None]
        for name in ("quick_check=false", "settings as configured")
    }
    assert [p["calls"] for p in healthy["quick_check=false"]] == [10, 10]
    assert [p["calls"] for p in healthy["settings as configured"]] == [30, 30]
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
    _, report = evaluate(dataset, env, "--compare", "cooldown_minutes=0.5,resume_grace_minutes=0", "--latency", "3")
    prints = {p["print"]: p for p in report["cooldown_minutes=0.5, resume_grace_minutes=0"]["prints"]}
    assert prints["look-alike"]["false_alarms"] >= 3  # alarmed again after every cooldown
    assert prints["look-alike dismissed"]["false_alarms"] == 1  # the first one only
    assert prints["look-alike dismissed"]["calls"] < prints["look-alike"]["calls"]


def test_the_replay_of_a_healthy_print_with_the_detector_makes_fewer_model_calls_than_the_defaults(
    tmp_path, printnanny, healthy_model
):
    write_recording(tmp_path / "dataset" / "healthy", [(4, 150)], printnanny)  # five minutes of a healthy print
    label_one_print(tmp_path / "dataset", "healthy", None)
    env = with_detector_cache(evaluate_environment(healthy_model, tmp_path), tmp_path, printnanny)
    _, report = evaluate(tmp_path / "dataset", env, "--compare", "", "local_detector=printnanny", "--latency", "3")
    defaults = report["settings as configured"]["overall"]
    detector = report["local_detector=printnanny"]["overall"]
    assert defaults["errors"] == detector["errors"] == 0
    assert defaults["false_alarms_per_print_hour"] == detector["false_alarms_per_print_hour"] == 0
    # the detector looks at every frame for free: the model only every 30 s instead of every 10 s
    assert 0 < detector["calls"] <= 0.5 * defaults["calls"]


def test_the_offline_replay_confirms_a_spaghetti_recording_with_no_error(tmp_path, printnanny, model):
    # two minutes of a healthy print, then spaghetti (PrintNanny's photo 3) for three
    write_recording(tmp_path / "dataset" / "spaghetti", [(4, 60), (3, 90)], printnanny)
    label_one_print(tmp_path / "dataset", "spaghetti", 60 * INTERVAL)
    env = with_detector_cache(evaluate_environment(model, tmp_path), tmp_path, printnanny)
    _, report = evaluate(tmp_path / "dataset", env, "--compare", "model_backend=local,local_detector=printnanny")
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


def test_a_still_look_alike_there_from_the_start_is_part_of_the_print_offline_and_costs_no_model_calls(
    tmp_path, printnanny, healthy_model
):
    # PrintNanny's photo 1: a draped organic print the detector scores as spaghetti, still for ten minutes
    write_recording(tmp_path / "dataset" / "organic", [(1, 300)], printnanny)
    label_one_print(tmp_path / "dataset", "organic", None)
    env = with_detector_cache(evaluate_environment(healthy_model, tmp_path), tmp_path, printnanny)
    groups = ("", "local_detector=printnanny", "model_backend=local,local_detector=printnanny")
    _, report = evaluate(tmp_path / "dataset", env, "--compare", *groups, "--latency", "3")
    offline = report["model_backend=local, local_detector=printnanny"]["overall"]
    assert offline["false_alarms_per_print_hour"] == 0 and offline["errors"] == 0  # never paused for it
    defaults, detector = report["settings as configured"]["overall"], report["local_detector=printnanny"]["overall"]
    # flagged in every frame, but in place from the start: it raises no alarm, so the model looks only as the
    # safety net does (every 30 s), not at every alarm of a bare score
    assert detector["calls"] <= 0.4 * defaults["calls"]


def test_a_folder_of_timelapses_is_replayed_as_healthy_prints_with_a_report_naming_each_alarm(
    tmp_path, printnanny, healthy_model
):
    from demo.printnanny import still_camera_frames

    timelapses = tmp_path / "timelapse"
    timelapses.mkdir()
    # an organic print (a look-alike from the start), and one with strands appearing after 5 healthy minutes
    write_timelapse(timelapses / "organic_20261201.mp4", still_camera_frames(printnanny.photo(1), 60, draw=1))
    healthy, strands = still_camera_frames(printnanny.photo(4), 30, 2), still_camera_frames(printnanny.photo(3), 30, 3)
    write_timelapse(timelapses / "strands_20261202.mp4", healthy + strands)
    env = with_detector_cache(evaluate_environment(healthy_model, tmp_path), tmp_path, printnanny)
    env["WARMUP_MINUTES"] = "0"
    page = tmp_path / "report.html"
    run, report = evaluate(
        timelapses,
        env,
        "--compare",
        "model_backend=local,local_detector=printnanny",
        "--frame-interval",
        "10",
        "--report",
        str(page),
    )
    group = report["model_backend=local, local_detector=printnanny"]
    assert group["spacing"] == "one capture per video frame, 10 s apart" and "10 s apart" in run.stdout
    prints = {p["print"]: p for p in group["prints"]}
    assert set(prints) == {"organic_20261201", "strands_20261202"} and all(p["onset"] is None for p in prints.values())
    assert prints["organic_20261201"]["alarms"] == []  # part of the print from the first frame
    alarm = prints["strands_20261202"]["alarms"][0]  # labelled healthy: what it saw counts as a false alarm
    assert alarm["eye"] == "detector" and alarm["confirmed"] and 300 <= alarm["at"] <= 340
    assert group["overall"]["false_alarms_per_100_print_hours"] > 0 and group["overall"]["prints"] == 2
    text = page.read_text()
    assert "strands_20261202" in text and f"{alarm['at']:.0f} s (detector, confirmed)" in text and "<svg" in text


def test_what_cannot_be_judged_is_an_error_that_says_so(tmp_path, model):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    dataset = make_dataset(tmp_path / "dataset")
    command = [sys.executable, "-m", "octoprint_failwatch", "evaluate", str(dataset)]
    no_model = subprocess.run(command, env=clean, capture_output=True, text=True, timeout=120)
    assert no_model.returncode == 2 and "Inference profile ARN" in no_model.stderr
    no_credentials = {
        **clean,
        "INFERENCE_PROFILE_ARN": "us.amazon.nova-lite-v1:0",
        "BEDROCK_ENDPOINT_URL": model.url,
        "AWS_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_CONFIG_FILE": "/nonexistent",
        "HOME": str(tmp_path),
    }
    unreachable = subprocess.run(command, env=no_credentials, capture_output=True, text=True, timeout=120)
    assert unreachable.returncode == 2 and "calls all failed" in unreachable.stderr
    assert len(unreachable.stderr.splitlines()) <= 3  # one message, not a line per failed call
    (dataset / "broken.mp4").write_bytes(b"not a video")
    (dataset / "labels.json").write_text(json.dumps([{"print": "broken", "frames": "broken.mp4", "onset": None}]))
    unreadable = subprocess.run(
        command, env={**clean, "INFERENCE_PROFILE_ARN": "m"}, capture_output=True, text=True, timeout=120
    )
    assert unreadable.returncode == 2 and "broken.mp4" in unreadable.stderr

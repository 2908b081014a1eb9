"""The `failwatch` command's tools: `evaluate` (the replay, `evaluation/`), `detect` (the on-device detector on your
own photos), `incidents` (those kept in the data folder) and `label` (your verdict on one). Each says what is wrong
in one line and exits 2 when it cannot run."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time
from pathlib import Path
from typing import Mapping, Sequence

from ..config import from_environment, raw_from_environment
from .variables import EXIT_CONFIG, variable_errors

LABEL_WORDS = {"not-a-failure": "not_a_failure", "real-failure": "confirmed", "none": None}


EVALUATE_EXAMPLES = """examples:
  failwatch evaluate ~/.octoprint/timelapse --frame-interval 10
      your OctoPrint timelapses, each a healthy print: how often would Failwatch have raised a false alarm?
  failwatch evaluate DATASET --compare "" "local_detector=printnanny" "model_backend=local,local_detector=printnanny"
      the defaults, the on-device detector first, and offline, side by side
  failwatch evaluate DATASET --latency 3 --json report.json --report report.html

The model is configured as for the daemon, by environment variables (INFERENCE_PROFILE_ARN and AWS credentials;
BEDROCK_ENDPOINT_URL for the demo's local model, e.g. http://127.0.0.1:8082). Exit code 2: nothing could be judged
(no model configured, a recording that cannot be read, a model that cannot be reached).
"""


def run_evaluate(args: Sequence[str], environ: Mapping[str, str]) -> int:
    """Replays recordings of prints through what ships, on a simulated clock (see evaluation/)."""
    from ..evaluation.recordings import load_dataset
    from ..evaluation.replay import evaluate, parse_group
    from ..evaluation.report import print_table, write_html

    parser = argparse.ArgumentParser(
        prog="failwatch evaluate",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EVALUATE_EXAMPLES,
        description="Replays recordings of your prints through Failwatch's detection, as configured, on a simulated "
        "clock: which failures it catches and how fast, its false alarms and pauses, its model calls and cost.",
    )
    parser.add_argument(
        "dataset",
        type=Path,
        help="a folder with labels.json (see docs/evaluate.md), or a folder of "
        "OctoPrint timelapses (videos, or folders of JPEGs), each taken as a healthy print",
    )
    parser.add_argument(
        "--compare",
        nargs="+",
        default=[""],
        metavar="SETTINGS",
        help='setting groups to replay side by side, each "key=value,key=value" on top of the '
        'environment\'s settings; "" is the settings as configured (default: just that)',
    )
    parser.add_argument(
        "--frame-interval",
        type=float,
        metavar="S",
        help="seconds between the captures of a timelapse folder's videos (default 10)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        metavar="S",
        help="simulated seconds each model call takes (default: each call's measured time)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the whole report, per print, as JSON")
    parser.add_argument(
        "--report",
        type=Path,
        metavar="FILE.html",
        help="write a page with each print's timeline: scores, verdicts, onset, alarms",
    )
    parser.add_argument("--verbose", action="store_true", help="show the engine's log of each replay")
    options = parser.parse_args(args)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    logging.getLogger("failwatch.replay").setLevel(logging.INFO if options.verbose else logging.CRITICAL)
    try:
        dataset = load_dataset(options.dataset, options.frame_interval)
        report = evaluate(
            dataset,
            raw_from_environment(environ),
            [parse_group(g) for g in options.compare],
            options.latency,
            progress_bar(sys.stderr),
        )
    except (OSError, ValueError, KeyError) as exc:
        print(f"failwatch evaluate: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print_table(report)
    if options.json:
        options.json.write_text(json.dumps(report, indent=1))
    if options.report:
        write_html(report, options.report)
        print(f"\nreport: {options.report}")
    return 0


def progress_bar(stream):
    """A one-line progress bar on a terminal; nothing in a log or a pipe."""

    def show(done: int, total: int, name: str) -> None:
        if not stream.isatty() or not total:
            return
        filled = round(30 * done / total)
        end = "\n" if done == total else ""
        stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {name[:50]:<50}{end}")
        stream.flush()

    return show


def run_detect(args: Sequence[str], environ: Mapping[str, str]) -> int:
    """The on-device detector on the user's own photos: one line per image (JSON with --json)."""
    from ..analysis.local_detector import DetectorUnavailable
    from ..analysis.local_model import default_cache, load_detector
    from ..analysis.verdict import AnalysisError

    parser = argparse.ArgumentParser(prog="failwatch detect")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("images", nargs="+", type=Path)
    options = parser.parse_args(args)
    config, errors = from_environment({"LOCAL_DETECTOR": "printnanny", **environ})
    if errors:
        print("failwatch detect: " + "; ".join(variable_errors(errors)), file=sys.stderr)
        return EXIT_CONFIG
    if not config.detector_on:
        config = dataclasses.replace(config, local_detector="printnanny")
    try:
        detector = load_detector(config, default_cache())
    except DetectorUnavailable as exc:
        print(f"failwatch detect: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    failed_to_read = 0
    for image in options.images:
        try:
            detection = detector.inspect(image.read_bytes(), config.roi)
        except (OSError, AnalysisError) as exc:
            failed_to_read += 1
            print(f"failwatch detect: {image}: {exc}", file=sys.stderr)
            continue
        line = {
            "image": str(image),
            "failed": detection.flagged,
            "score": round(detection.score, 4),
            "label": detection.label,
            "ms": round(detection.ms, 1),
        }
        print(
            json.dumps(line)
            if options.json
            else f"{image}: {'FAILED' if detection.flagged else 'ok'}  {detection.words()}  ({detection.ms:.0f} ms)"
        )
    return 1 if failed_to_read else 0


def _history(environ: Mapping[str, str]):
    from ..outcomes.history import IncidentHistory
    from .service import data_folder

    config, errors = from_environment(environ)
    if "data_folder" in errors:
        raise ValueError("; ".join(variable_errors({"data_folder": errors["data_folder"]})))
    folder = data_folder(config, environ) / "incidents"
    if not folder.is_dir():
        raise ValueError(f"no incidents kept in {folder} (set DATA_FOLDER to the daemon's data folder)")
    return IncidentHistory(folder, logger=logging.getLogger("failwatch"))


def run_incidents(args: Sequence[str], environ: Mapping[str, str]) -> int:
    """The incidents kept in the data folder, newest first: when, what, what was done, your label."""
    parser = argparse.ArgumentParser(prog="failwatch incidents", description="the incidents kept in DATA_FOLDER")
    parser.add_argument("--json", action="store_true", help="one JSON object per incident")
    options = parser.parse_args(args)
    try:
        incidents = _history(environ).list()
    except ValueError as exc:
        print(f"failwatch incidents: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    for incident in incidents:
        trigger = incident.get("trigger") or {}
        if options.json:
            print(
                json.dumps(
                    {key: incident.get(key) for key in ("id", "time", "kind", "action", "label", "job")}
                    | {"explanation": trigger.get("explanation")}
                )
            )
            continue
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(incident["time"]))
        label = (incident.get("label") or "").replace("_", " ").replace("confirmed", "real failure")
        print(
            f"{incident['id']}  {when}  {incident['kind']:<9}  {incident.get('action') or '':<9}  "
            f"{label or '-':<14}  {trigger.get('explanation') or ''}"
        )
    if not incidents:
        print("no incidents", file=sys.stderr)
    return 0


def run_label(args: Sequence[str], environ: Mapping[str, str]) -> int:
    """Your verdict on an incident; a daemon watching that print learns it within seconds."""
    parser = argparse.ArgumentParser(prog="failwatch label", description="your verdict on an incident")
    parser.add_argument("incident", help="its id, as `failwatch incidents` lists it")
    parser.add_argument("label", choices=sorted(LABEL_WORDS))
    options = parser.parse_args(args)
    try:
        record = _history(environ).set_label(options.incident, LABEL_WORDS[options.label])
    except ValueError as exc:
        print(f"failwatch label: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if record is None:
        print(f"failwatch label: no incident {options.incident}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"{options.incident}: {options.label.replace('-', ' ')}")
    return 0

"""The on-device detector on real pictures: PrintNanny's published model on its own camera photos, through
Failwatch's path (fetch, checksum, loading, the detector, the offline backend, `failwatch detect`)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from demo.printnanny import HEALTHY, SPAGHETTI
from octoprint_failwatch.analysis import make_analyser
from octoprint_failwatch.analysis.local_detector import DetectorUnavailable
from octoprint_failwatch.analysis.local_model import (
    PRINTNANNY_FOLDER,
    DetectorSlot,
    ModelUnavailable,
    load_detector,
    printnanny_model,
)
from octoprint_failwatch.analysis.print_detector import PrintDetector
from octoprint_failwatch.analysis.spend import DailySpend
from octoprint_failwatch.config import build_config
from octoprint_failwatch.frame import Frame


def detector_config(**settings):
    config, errors = build_config({"local_detector": "printnanny", **settings})
    assert not errors, errors
    return config


def frame(jpeg: bytes, at: float = 0.0) -> Frame:
    return Frame(jpeg, at, at)


def test_the_spaghetti_photos_are_flagged_and_the_healthy_ones_are_not(printnanny):
    detector = load_detector(detector_config(), printnanny.cache)
    for number in SPAGHETTI:
        detection = detector.inspect(printnanny.photo(number))
        assert detection.flagged and detection.label == "spaghetti", (number, detection)
        assert detection.words().startswith(f"spaghetti, {detection.score:.2f}, ")
    for number in HEALTHY:
        detection = detector.inspect(printnanny.photo(number))
        assert not detection.flagged, (number, detection)
        # the healthy photos are far below the default threshold, not just under it
        assert detection.score < 0.1


def test_only_the_failure_labels_count(printnanny):
    """PrintNanny's model also finds good adhesion on healthy prints: not a failure unless the user says so."""
    assert not load_detector(detector_config(), printnanny.cache).inspect(printnanny.photo(4)).flagged
    adhesion = load_detector(detector_config(local_failure_labels="adhesion"), printnanny.cache)
    assert adhesion.inspect(printnanny.photo(4)).flagged


def test_the_region_of_interest_is_what_the_detector_looks_at(printnanny):
    detector = load_detector(detector_config(), printnanny.cache)
    whole = detector.inspect(printnanny.photo(0))
    assert whole.where() == "at the left of the picture"
    # the strands are at the left: a crop of the right half's top corner shows none of them
    assert detector.inspect(printnanny.photo(0), (0.75, 0.0, 0.25, 0.25)).score < whole.score


def test_the_offline_backend_needs_two_frames_of_a_series_that_show_a_change(printnanny):
    slot = DetectorSlot(printnanny.cache, logging.getLogger("test"))
    config = detector_config(model_backend="local", images_per_series=3)
    slot.configure(config, wait=True)

    def analyser():  # a print's: its detector remembers what the print has shown
        return make_analyser(config, None, DailySpend(), PrintDetector(slot))

    analyse = analyser()
    for second in range(0, 60, 10):  # a minute of a healthy print first
        assert not analyse([frame(printnanny.photo(4), second)]).print_failed
    positive = analyse([frame(printnanny.photo(n), 60 + i) for i, n in enumerate((2, 0, 6))])
    assert positive.print_failed and positive.failure_type == "spaghetti" and positive.cost_usd == 0
    assert "2 of 3 frames flagged, 2 a change" in positive.explanation and positive.model == "on-device detector"
    one_odd_frame = analyser()
    one_odd_frame([frame(printnanny.photo(4), second) for second in (0, 30)])
    verdict = one_odd_frame([frame(printnanny.photo(n), 60 + i) for i, n in enumerate((2, 4, 0))])
    assert not verdict.print_failed and verdict.failure_type == "none"
    assert analyse([frame(printnanny.photo(3), 70)], quick=True).print_failed

    # the same strands in the first frames the print is judged on: part of the print, however high their score
    from_the_start = analyser()
    still = from_the_start([frame(printnanny.photo(0), second) for second in (0, 1, 2)])
    assert not still.print_failed and "3 of 3 frames flagged, 0 a change" in still.explanation


def test_a_tampered_model_is_refused_and_a_whole_one_is_not_fetched_again(printnanny, tmp_path):
    wheel = tmp_path / "OctoPrint_Nanny-0.3.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(PRINTNANNY_FOLDER + "model.tflite", b"not the published model")
        archive.writestr(PRINTNANNY_FOLDER + "dict.txt", "???\nspaghetti\n")
    with pytest.raises(ModelUnavailable, match="does not match its checksum"):
        printnanny_model(tmp_path / "cache", download=lambda _: wheel)
    assert not (tmp_path / "cache" / "printnanny-2020-10-23" / "model.tflite").exists()

    def no_download(_):
        raise AssertionError("a model already in the cache must not be downloaded again")

    assert printnanny_model(printnanny.cache, download=no_download) == printnanny.model


def test_the_slot_says_what_is_missing_and_monitoring_needs_none_of_it(printnanny, tmp_path, monkeypatch):
    log = logging.getLogger("test")
    slot = DetectorSlot(tmp_path, log)
    slot.configure(detector_config(local_detector=str(tmp_path / "missing.tflite")), wait=True)
    assert slot.status()["state"] == "failed" and "does not exist" in slot.status()["message"]
    assert slot.read(frame(printnanny.photo(0))) is None  # no detector: the engine watches as without one

    lonely = tmp_path / "model" / "detector.tflite"
    lonely.parent.mkdir()
    shutil.copy(printnanny.model, lonely)
    with pytest.raises(DetectorUnavailable, match="no dict.txt or labels.txt"):
        load_detector(detector_config(local_detector=str(lonely)), tmp_path)
    shutil.copy(printnanny.model.parent / "dict.txt", lonely.parent / "labels.txt")
    assert load_detector(detector_config(local_detector=str(lonely)), tmp_path).inspect(printnanny.photo(3)).flagged

    monkeypatch.setattr("octoprint_failwatch.analysis.local_model.runtime_installed", lambda: False)
    fetched = []
    slot = DetectorSlot(tmp_path, log, download=lambda folder: fetched.append(folder))
    slot.configure(detector_config(), wait=True)
    assert slot.status()["state"] == "not installed" and not fetched  # said before 13 MB are fetched for nothing
    assert 'pip install "OctoPrint-Failwatch[local]"' in slot.status()["message"]


def test_failwatch_detect_prints_one_json_line_per_photo(printnanny, tmp_path):
    photos = []
    for number in (0, 2, 3, 4):
        photos.append(tmp_path / f"{number}.jpg")
        photos[-1].write_bytes(printnanny.photo(number))
    # the daemon's cache is $XDG_CACHE_HOME/failwatch: point it at the fetched model, as a second run finds it
    cache = tmp_path / "xdg"
    shutil.copytree(printnanny.cache, cache / "failwatch")
    failwatch = Path(sys.executable).parent / "failwatch"  # the command the package installs
    done = subprocess.run(
        [str(failwatch), "detect", "--json", *map(str, photos)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "XDG_CACHE_HOME": str(cache), "LOCAL_DETECTOR": "printnanny"},
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(Path(line["image"]).name, line["failed"]) for line in lines] == [
        ("0.jpg", True),
        ("2.jpg", False),
        ("3.jpg", True),
        ("4.jpg", False),
    ]
    assert all(line["label"] in ("spaghetti", "none") and 0 < line["ms"] < 5000 for line in lines)
    assert lines[0]["score"] >= 0.5 > lines[1]["score"]

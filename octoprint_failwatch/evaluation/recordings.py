"""The recordings `failwatch evaluate` replays: a dataset folder with `labels.json`, or a folder of OctoPrint
timelapses (and folders of JPEGs) with none — each then a healthy print.

`labels.json` lists the prints, each
    {"print": "benchy-1", "frames": "benchy-1/", "frame_interval": 2.0, "onset": 312.0}
`frames` is a folder of JPEGs (sorted by name) or a video file; `onset` is when the failure becomes visible, in
seconds from the start, or null for a healthy print. Optional: `"timelapse": true` (each video frame is one
capture, `frame_interval` apart — OctoPrint's timelapses; otherwise a video plays in real time and a frame is
taken every `frame_interval`), `"print_time_at_start"` (seconds into the print at the first frame; default 0, so
the warm-up passes before anything is judged, as at the printer) and `"not_a_failure": [seconds, ...]` ("Not a
failure" on the alarm confirmed last before each of those times, as a user would).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

VIDEOS = (".mp4", ".mkv", ".avi", ".mov", ".mpg", ".webm")
JPEGS = (".jpg", ".jpeg")


class RecordingError(ValueError):
    """A recording cannot be read; the message names it."""


@dataclass
class Recording:
    name: str
    frames: list[bytes]
    frame_interval: float
    onset: Optional[float]
    not_a_failure: list[float] = field(default_factory=list)  # when the user dismisses the last alarm
    print_time_at_start: float = 0.0  # seconds into the print at the first frame

    @property
    def duration(self) -> float:
        return len(self.frames) * self.frame_interval


@dataclass
class Dataset:
    recordings: list[Recording]
    spacing: str  # how the frames' spacing was known, for the report


def load_dataset(folder: Path, frame_interval: Optional[float] = None) -> Dataset:
    """The recordings of `folder`: as `labels.json` lists them, else every video and JPEG folder in it, healthy,
    `frame_interval` apart (OctoPrint's timelapses: one capture per video frame)."""
    if not folder.is_dir():
        raise RecordingError(f"{folder} is not a folder (a dataset with labels.json, or a folder of timelapses)")
    if (folder / "labels.json").is_file():
        return _labelled(folder)
    interval = frame_interval or 10.0
    entries = [
        {
            "print": path.stem if path.is_file() else path.name,
            "frames": path.name,
            "frame_interval": interval,
            "onset": None,
            "timelapse": True,
        }
        for path in sorted(folder.iterdir())
        if path.suffix.lower() in VIDEOS or _jpeg_folder(path)
    ]
    if not entries:
        raise RecordingError(f"{folder} has no labels.json, no videos and no folders of JPEGs")
    said = f"{interval:g} s" + (
        "" if frame_interval else " (assumed: OctoPrint's timed timelapse; give --frame-interval)"
    )
    return Dataset([_recording(folder, entry) for entry in entries], f"one capture per video frame, {said} apart")


def timelapse(path: Path, frame_interval: float) -> Recording:
    """One OctoPrint timelapse as a healthy print: one capture per video frame, `frame_interval` apart."""
    entry = {
        "print": path.stem,
        "frames": path.name,
        "frame_interval": frame_interval,
        "onset": None,
        "timelapse": True,
    }
    return _recording(path.parent, entry)


def _labelled(folder: Path) -> Dataset:
    try:
        labels = json.loads((folder / "labels.json").read_text())
    except (OSError, ValueError) as exc:
        raise RecordingError(f"{folder / 'labels.json'} cannot be read: {exc}") from exc
    if not isinstance(labels, list):
        raise RecordingError(f"{folder / 'labels.json'} must be a list of prints")
    return Dataset([_recording(folder, entry) for entry in labels], "as labels.json gives it")


def _jpeg_folder(path: Path) -> bool:
    return path.is_dir() and any(p.suffix.lower() in JPEGS for p in path.iterdir())


def _recording(folder: Path, entry: dict) -> Recording:
    try:
        source, interval = folder / entry["frames"], float(entry.get("frame_interval", 1.0))
        name = str(entry["print"])
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordingError(f"labels.json: an entry lacks 'print' or 'frames', or has a bad number: {entry}") from exc
    if source.is_dir():
        frames = [p.read_bytes() for p in sorted(source.iterdir()) if p.suffix.lower() in JPEGS]
    elif source.is_file():
        frames = _video_frames(source, interval, every_frame=bool(entry.get("timelapse")))
    else:
        raise RecordingError(f"{name}: {source} does not exist")
    if not frames:
        raise RecordingError(f"{name}: no frames could be read from {source}")
    dismissals = sorted(float(t) for t in entry.get("not_a_failure") or [])
    return Recording(
        name, frames, interval, entry.get("onset"), dismissals, float(entry.get("print_time_at_start") or 0.0)
    )


def _video_frames(path: Path, interval: float, every_frame: bool) -> list[bytes]:
    import cv2

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise RecordingError(f"{path} is not a video OpenCV can read")
    every = 1 if every_frame else max(1, round((capture.get(cv2.CAP_PROP_FPS) or 1.0) * interval))
    frames, index = [], 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        if index % every == 0:
            frames.append(cv2.imencode(".jpg", image)[1].tobytes())
        index += 1
    capture.release()
    return frames

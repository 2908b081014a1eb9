"""The on-device detector: a TFLite SSD detection model (PrintNanny's by default) run on one frame.

It answers what a vision model's quick look answers — failed or not, how sure, what — in tens of
milliseconds and for nothing, so it can look at every frame; the vision model stays the judge of
what it raises. Only the classes named in `local_failure_labels` mean failure (PrintNanny's model
also finds the nozzle, the print, the raft and good adhesion, which are healthy sights).

`ai-edge-litert` (the `local` extra) is imported when a detector is made, never before: the plugin
and the daemon run without it.
"""

from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from .imaging import crop_to_roi
from .verdict import AnalysisError, Verdict

DETECTOR_NAME = "on-device detector"
SEEN_SHARE = 0.5  # a failure scored at this share of the threshold is not flagged, but its place is remembered
INSTALL_HINT = 'pip install "OctoPrint-Failwatch[local]"'


class DetectorUnavailable(Exception):
    """The detector cannot run: its runtime is not installed, or its model or labels cannot be read."""


class RuntimeMissing(DetectorUnavailable):
    """ai-edge-litert is not installed."""

    def __init__(self):
        super().__init__(f"the on-device detector needs ai-edge-litert: {INSTALL_HINT}")


def runtime_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("ai_edge_litert") is not None


@dataclass(frozen=True)
class DetectorReading:
    """The detector's best failure on one picture (score 0 and no box when it saw none)."""

    label: str
    score: float
    box: Optional[tuple[float, float, float, float]]  # ymin, xmin, ymax, xmax as fractions of the picture
    ms: float
    threshold: float
    # every failure seen at half the threshold or more, and whether it is flagged: a print's memory of where the
    # detector saw something (print_memory.py) counts a weak sighting too
    seen_boxes: tuple[tuple[tuple[float, float, float, float], bool], ...] = ()

    @property
    def flagged(self) -> bool:
        return self.score >= self.threshold

    def where(self) -> str:
        if self.box is None:
            return ""
        return where_in_picture((self.box[1] + self.box[3]) / 2)

    def words(self) -> str:
        """What the detector saw, e.g. 'spaghetti, 0.93, at the left of the picture'."""
        if self.box is None:
            return "the on-device detector saw no failure"
        if not self.flagged:
            return f"no failure seen (best: {self.label}, {self.score:.2f})"
        return f"{self.label}, {self.score:.2f}, {self.where()}"

    def verdict(self) -> Verdict:
        return Verdict(
            print_failed=self.flagged,
            confidence=round(self.score, 3),
            failure_type=self.label
            if self.flagged and self.label == "spaghetti"
            else ("other" if self.flagged else "none"),
            explanation=self.words(),
            latency=self.ms / 1000,
            model=DETECTOR_NAME,
            source="detector",
        )


def where_in_picture(middle: float) -> str:
    """Words for a place across the picture (0 its left edge, 1 its right)."""
    if middle < 1 / 3:
        return "at the left of the picture"
    return "in the middle of the picture" if middle < 2 / 3 else "at the right of the picture"


def read_labels(path: Path) -> list[str]:
    labels = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not labels:
        raise DetectorUnavailable(f"the labels file {path} is empty")
    return labels


def labels_beside(model: Path) -> Path:
    """The labels of a model file: dict.txt or labels.txt in its folder."""
    for name in ("dict.txt", "labels.txt"):
        if (model.parent / name).is_file():
            return model.parent / name
    raise DetectorUnavailable(f"no dict.txt or labels.txt beside {model}")


class LocalDetector:
    """One loaded model; `inspect` is thread-safe (one frame at a time: a small board has few cores)."""

    def __init__(self, model: Path, labels: Path, failure_labels: Sequence[str], threshold: float, threads: int = 1):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise RuntimeMissing() from exc
        try:
            self._interpreter = Interpreter(model_path=str(model), num_threads=threads)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise DetectorUnavailable(f"{model} is not a TFLite model this runtime can load: {exc}") from exc
        self._labels = read_labels(labels)
        self._failure_labels = {label.strip().lower() for label in failure_labels if label.strip()}
        self._threshold = threshold
        self._lock = threading.Lock()
        entry = self._interpreter.get_input_details()[0]
        self._input_index, self._input_type = entry["index"], entry["dtype"]
        _, self._height, self._width, _ = entry["shape"]
        self._outputs = self._output_indices()

    def _output_indices(self) -> tuple[int, int, int]:
        """(boxes, classes, scores) of TFLite_Detection_PostProcess: boxes are the 4-wide output; classes
        and scores follow in that order (the post-processing op's fixed order)."""
        details = sorted(self._interpreter.get_output_details(), key=lambda d: d["index"])
        if len(details) < 3:
            raise DetectorUnavailable("the model is not an SSD detector (expected boxes, classes and scores)")
        boxes = next((d for d in details if len(d["shape"]) == 3 and d["shape"][-1] == 4), None)
        if boxes is None:
            raise DetectorUnavailable("the model has no boxes output: not an SSD detector")
        rest = [d for d in details if d is not boxes and len(d["shape"]) == 2]
        if len(rest) < 2:
            raise DetectorUnavailable("the model has no classes and scores outputs: not an SSD detector")
        return boxes["index"], rest[0]["index"], rest[1]["index"]

    @property
    def threshold(self) -> float:
        return self._threshold

    def inspect(self, jpeg: bytes, roi: Optional[tuple[float, float, float, float]] = None) -> DetectorReading:
        """The best failure on the picture (within the region of interest); AnalysisError for a bad picture."""
        import numpy

        started = time.perf_counter()
        pixels = numpy.asarray(self._picture(jpeg, roi), dtype=self._input_type)[numpy.newaxis]
        if self._input_type != numpy.uint8:  # a float model: inputs in -1..1, as TFLite's converters expect
            pixels = (pixels - 127.5) / 127.5
        with self._lock:
            self._interpreter.set_tensor(self._input_index, pixels)
            self._interpreter.invoke()
            boxes, classes, scores = (self._interpreter.get_tensor(index)[0] for index in self._outputs)
        best_label, best_score = "", 0.0
        best_box: Optional[tuple[float, float, float, float]] = None
        seen = []
        for box, klass, score in zip(boxes, classes, scores):
            label = self._label(int(klass))
            if label not in self._failure_labels:
                continue
            ymin, xmin, ymax, xmax = (float(v) for v in box[:4])
            if float(score) >= SEEN_SHARE * self._threshold:
                seen.append(((ymin, xmin, ymax, xmax), float(score) >= self._threshold))
            if float(score) > best_score:
                best_label, best_score, best_box = label, float(score), (ymin, xmin, ymax, xmax)
        took = (time.perf_counter() - started) * 1000
        return DetectorReading(best_label or "none", best_score, best_box, took, self._threshold, tuple(seen))

    def _label(self, klass: int) -> str:
        # the labels file starts with the background class; the model's class c is the line after it
        index = klass + 1
        return self._labels[index].lower() if 0 <= index < len(self._labels) else str(klass)

    def _picture(self, jpeg: bytes, roi):
        from PIL import Image

        try:
            opened = Image.open(io.BytesIO(jpeg))
            opened.draft("RGB", (self._width * 2, self._height * 2))  # decode big photos at a fraction: faster
            image = opened.convert("RGB")
        except Exception as exc:  # PIL raises several kinds for a picture it cannot read
            raise AnalysisError(f"not a picture the detector can read ({type(exc).__name__})") from exc
        return crop_to_roi(image, roi).resize((int(self._width), int(self._height)), Image.Resampling.BILINEAR)

"""Where the on-device detector's model comes from, and the slot that loads it without holding anyone up.

`local_detector` is `off`, `printnanny` or the path of a `.tflite` file with its labels beside it.
`printnanny` is PrintNanny's published print-defect detector (AGPL-3.0, by Leigh Johnson / Bitsy AI
Labs): it ships inside the wheel of `octoprint-nanny` 0.3.3 on the Python package index, so it is
fetched as the user's own pip would fetch any package — the running Python's pip, with the user's
index configuration (piwheels on a Raspberry Pi) — and only its model and labels are taken out of
the archive and checked against their known sha256; the other plugin's code is never loaded.

Fetching takes a while (13 MB), so `DetectorSlot` does it, and the loading, on a thread of its own; the
engine asks the slot for the detector each time and watches as it does today until one is ready.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Callable, Optional

from ..config import FailwatchConfig
from ..frame import Frame
from .local_detector import (
    DetectorReading,
    DetectorUnavailable,
    LocalDetector,
    RuntimeMissing,
    labels_beside,
    runtime_installed,
)

PRINTNANNY = "printnanny"
PRINTNANNY_PACKAGE = "octoprint-nanny==0.3.3"
PRINTNANNY_FOLDER = "octoprint_nanny/data/tflite-print3d-2020-10-23T18:00:41.136Z/"
PRINTNANNY_FILES = {  # member of the wheel -> its sha256
    "model.tflite": "74c1286bac343b4e46589302a124c60ac4269a55d0a09e2e41d88f53b6fd6b08",
    "dict.txt": "0fd2891308826ce55e799e97a6176282a6c4af2f6d4fb3c8287ee955b3830725",
}
PIP_TIMEOUT = 600.0  # seconds: a slow link to a mirror still gets the 13 MB


class ModelUnavailable(DetectorUnavailable):
    """The model could not be fetched or did not match its checksum; the message says what to do."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_printnanny_wheel(folder: Path, timeout: float = PIP_TIMEOUT) -> Path:
    """PrintNanny's wheel, downloaded into `folder` with the running Python's pip (no dependencies, no install)."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-q",
        "-d",
        str(folder),
        PRINTNANNY_PACKAGE,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelUnavailable(f"could not download PrintNanny's model with pip: {exc}") from exc
    wheels = sorted(folder.glob("OctoPrint_Nanny-0.3.3-*.whl")) or sorted(folder.glob("octoprint_nanny-0.3.3-*.whl"))
    if done.returncode != 0 or not wheels:
        last = next((line for line in reversed(done.stderr.splitlines()) if line.startswith("ERROR")), "")
        raise ModelUnavailable(
            "could not download PrintNanny's model with pip (is the package index reachable?)"
            + (f": {last}" if last else "")
        )
    return wheels[0]


def extract_printnanny(wheel: Path, folder: Path) -> Path:
    """Takes the model and labels out of the wheel into `folder`, each checked; returns the model's path."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(wheel) as archive:
            for name, expected in PRINTNANNY_FILES.items():
                data = archive.read(PRINTNANNY_FOLDER + name)
                actual = hashlib.sha256(data).hexdigest()
                if actual != expected:
                    raise ModelUnavailable(
                        f"PrintNanny's {name} does not match its checksum "
                        f"(sha256 {actual[:12]}…, expected {expected[:12]}…): not used"
                    )
                partial = folder / (name + ".partial")
                partial.write_bytes(data)
                os.replace(partial, folder / name)  # whole or absent: a crash mid-write is fetched again
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ModelUnavailable(f"PrintNanny's wheel does not hold its model as expected: {exc}") from exc
    return folder / "model.tflite"


def printnanny_model(cache: Path, download: Callable[[Path], Path] = download_printnanny_wheel) -> Path:
    """PrintNanny's model in `cache`, fetched first if it is not there whole (checked at every load)."""
    folder = cache / "printnanny-2020-10-23"
    if all(
        (folder / name).is_file() and sha256_of(folder / name) == digest for name, digest in PRINTNANNY_FILES.items()
    ):
        return folder / "model.tflite"
    with tempfile.TemporaryDirectory(prefix="failwatch-") as scratch:
        return extract_printnanny(download(Path(scratch)), folder)


def model_files(
    setting: str, cache: Path, download: Callable[[Path], Path] = download_printnanny_wheel
) -> tuple[Path, Path]:
    """(model, labels) for the `local_detector` setting; ModelUnavailable / DetectorUnavailable say why not."""
    if setting == PRINTNANNY:
        model = printnanny_model(cache, download)
        return model, model.parent / "dict.txt"
    model = Path(setting).expanduser()
    if not model.is_file():
        raise DetectorUnavailable(f"the detector model {model} does not exist")
    return model, labels_beside(model)


def default_cache() -> Path:
    """The daemon's cache folder for fetched models ($XDG_CACHE_HOME/failwatch or ~/.cache/failwatch)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "failwatch"


def load_detector(config: FailwatchConfig, cache: Path, download=download_printnanny_wheel) -> LocalDetector:
    if not runtime_installed():  # said before 13 MB are fetched for nothing
        raise RuntimeMissing()
    model, labels = model_files(config.local_detector, cache, download)
    return LocalDetector(model, labels, config.failure_labels, config.local_threshold)


class DetectorSlot:
    """The configured detector, loaded on a thread; what the engine and the status ask for.

    `state`: off, loading, ready, not installed or failed (with `message` saying why and what to do)."""

    def __init__(
        self,
        cache: Path,
        logger: logging.Logger,
        on_change: Callable[[], None] = lambda: None,
        download: Callable[[Path], Path] = download_printnanny_wheel,
    ):
        self._cache = cache
        self._logger = logger
        self._on_change = on_change
        self._download = download
        self._lock = threading.Lock()  # guards the fields below (the loading thread and the engine's meet here)
        self._key: Optional[tuple] = None
        self._detector: Optional[LocalDetector] = None
        self._roi: Optional[tuple[float, float, float, float]] = None
        self.state, self.message = "off", "off"
        self.last: Optional[dict] = None  # the newest detection: score, label, ms

    def configure(self, config: FailwatchConfig, wait: bool = False) -> None:
        """Loads the detector the settings name (on a thread unless `wait`); the same settings load nothing."""
        key = (config.local_detector, config.failure_labels, config.local_threshold)
        with self._lock:
            self._roi = config.roi
            if key == self._key:
                return
            self._key, self._detector = key, None
            if config.local_detector == "off":
                self.state, self.message = "off", "off"
                return
            self.state = "loading"
            self.message = "fetching PrintNanny's model" if config.local_detector == PRINTNANNY else "loading the model"
        self._logger.info("Failwatch on-device detector: %s", self.message)
        if wait:
            self._load(key, config)
        else:
            threading.Thread(target=self._load, args=(key, config), name="failwatch-detector", daemon=True).start()

    def _load(self, key: tuple, config: FailwatchConfig) -> None:
        try:
            detector = load_detector(config, self._cache, self._download)
        except DetectorUnavailable as exc:
            outcome = "not installed" if isinstance(exc, RuntimeMissing) else "failed"
            message, detector = str(exc), None
            self._logger.warning("Failwatch on-device detector not available, watching without it: %s", exc)
        else:
            outcome, message = "ready", f"ready ({config.local_detector}, threshold {config.local_threshold:g})"
            self._logger.info("Failwatch on-device detector %s", message)
        with self._lock:
            if key != self._key:
                return  # the settings changed while it loaded
            self._detector, self.state, self.message = detector, outcome, message
        self._on_change()

    @property
    def ready(self) -> bool:
        return self._detector is not None

    def detector(self) -> Optional[LocalDetector]:
        return self._detector

    def read(self, frame: Frame, cropped: bool = False) -> Optional[DetectorReading]:
        """The detector's reading of a frame (within the region of interest, unless the frame is `cropped` to it
        already); None while no detector is ready."""
        detector, roi = self._detector, self._roi
        if detector is None:
            return None
        reading = detector.inspect(frame.jpeg, None if cropped else roi)
        self.last = {
            "score": round(reading.score, 3),
            "label": reading.label,
            "ms": round(reading.ms, 1),
            "flagged": reading.flagged,
        }
        return reading

    def new_print(self) -> None:
        """A new print: the last print's reading (perhaps a flagged 0.97) is not this one's."""
        self.last = None

    def status(self) -> dict:
        return {"state": self.state, "message": self.message, "last": self.last}

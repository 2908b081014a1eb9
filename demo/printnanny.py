"""PrintNanny's published detector and its 7 real camera photos for the tests and benches, fetched once with pip.

The wheel of octoprint-nanny 0.3.3 is downloaded with this Python's pip (as the plugin does for a user) into
$FAILWATCH_TEST_CACHE (default ~/.cache/failwatch-tests); the model and labels go through Failwatch's own
extraction and checksum, the photos (`data/images/N.pre.jpg`, the raw ones) are read straight from the wheel.
Photos 0, 3, 5 and 6 show spaghetti; 2 and 4 healthy prints (1: a print with a mess of strands beside it).
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

from octoprint_failwatch.analysis.local_model import download_printnanny_wheel, printnanny_model

SPAGHETTI = (0, 3, 5, 6)
HEALTHY = (2, 4)


@dataclass(frozen=True)
class PrintNanny:
    cache: Path  # holds printnanny-2020-10-23/{model.tflite,dict.txt}, as a plugin's or daemon's model cache does
    model: Path
    photos: dict  # number -> JPEG bytes

    def photo(self, number: int) -> bytes:
        return self.photos[number]


def fetch() -> PrintNanny:
    root = Path(os.environ.get("FAILWATCH_TEST_CACHE") or Path.home() / ".cache" / "failwatch-tests")
    wheels = root / "wheels"
    wheel = next(iter(sorted(wheels.glob("*.whl"))), None) or download_printnanny_wheel(wheels)
    model = printnanny_model(root / "models", download=lambda _: wheel)
    with zipfile.ZipFile(wheel) as archive:
        photos = {n: archive.read(f"octoprint_nanny/data/images/{n}.pre.jpg") for n in range(7)}
    return PrintNanny(root / "models", model, photos)


def still_camera_frames(photo: bytes, count: int, draw: int = 0, width: int = 640) -> list[bytes]:
    """`count` JPEG frames of one photo as a still camera gives them: the picture scaled to `width`, each frame with
    its own sensor noise and exposure drift of a grey level or two (a frozen camera gives the same picture every
    time, and is said to be frozen). `draw` numbers the noise: the same draw, the same frames."""
    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(photo)).convert("RGB")
    image = image.resize((width, round(image.height * width / image.width)))
    pixels = np.asarray(image, dtype=np.int16)
    noise = np.random.default_rng(draw)
    frames = []
    for _ in range(count):
        exposure = noise.uniform(-2.0, 2.0)
        noisy = np.clip(pixels + exposure + noise.normal(0, 2.0, pixels.shape), 0, 255).astype(np.uint8)
        out = io.BytesIO()
        Image.fromarray(noisy).save(out, "JPEG", quality=85)
        frames.append(out.getvalue())
    return frames


def write_recording(folder: Path, parts: list[tuple[int, int]], photos: PrintNanny, draw: int = 0) -> Path:
    """A folder of frames: for each (photo number, frames) part, that many frames of that photo, in order."""
    draws = random.Random(draw)
    frames = [
        jpeg
        for number, count in parts
        for jpeg in still_camera_frames(photos.photo(number), count, draws.randrange(1 << 30))
    ]
    return write_frames(folder, frames)


def write_frames(folder: Path, frames: list[bytes]) -> Path:
    """A recording as `failwatch evaluate` reads one: a folder of JPEGs in the order of their names."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, jpeg in enumerate(frames):
        (folder / f"{index:05d}.jpg").write_bytes(jpeg)
    return folder


def write_timelapse(path: Path, frames: list[bytes]) -> Path:
    """An OctoPrint-like timelapse video of `frames`: one capture per video frame, rendered at 25 frames a second."""
    import cv2
    import numpy as np

    first = cv2.imdecode(np.frombuffer(frames[0], np.uint8), cv2.IMREAD_COLOR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (first.shape[1], first.shape[0]))
    for jpeg in frames:
        writer.write(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))
    writer.release()
    return path

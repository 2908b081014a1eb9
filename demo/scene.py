"""A synthetic printer scene (bed, nozzle, growing part) that can show a failure: tangled orange strands.

Used by the demo camera and by the local model server, which recognises the strands' colour, so a
whole chain — camera, JPEG, boto3, verdict — can be tested without a real printer or model.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

SPAGHETTI_BGR = (0, 140, 255)  # orange strands only drawn in the failure scene
LEFTOVER_BGR = (60, 200, 60)  # a green part left on the plate: only drawn in the leftover scene
SPAGHETTI_SEED = 7  # where the strands lie


def render(mode: str, t: float, width: int = 1280, height: int = 720) -> np.ndarray:
    """One BGR frame of the scene at time t (seconds); mode is 'healthy', 'failed', 'leftover' (an empty plate but
    for a part an earlier print left on it) or 'black'. Drawn for 1280x720 and in proportion at any other size."""
    image = np.full((height, width, 3), (60, 60, 60), np.uint8)
    if mode == "black":
        return np.zeros_like(image)

    def px(value: float) -> int:  # a length drawn for 1280 px wide, at this width
        return max(1, round(value * width / 1280))

    bed_top = int(height * 0.7)
    cv2.rectangle(image, (int(width * 0.1), bed_top), (int(width * 0.9), int(height * 0.85)), (30, 30, 30), -1)
    part_height = int(px(40) + (t % 3600) / 3600 * height * 0.3)  # a tall part in an hour
    centre = width // 2
    if mode == "leftover":
        part_height = 0
        left = int(width * 0.2)
        cv2.rectangle(image, (left, bed_top - px(90)), (left + px(160), bed_top), LEFTOVER_BGR, -1)
    else:
        cv2.rectangle(image, (centre - px(120), bed_top - part_height), (centre + px(120), bed_top), (200, 80, 40), -1)
    if mode == "failed":
        # the same tangle in every frame, as a real one stays where it fell (strands drawn anew every frame made
        # the failure's stream several times busier than the healthy print's)
        rng = np.random.default_rng(SPAGHETTI_SEED)
        for _ in range(40):
            points = rng.integers([centre - px(300), bed_top - px(300)], [centre + px(300), bed_top], size=(6, 2))
            cv2.polylines(image, [points.astype(np.int32)], False, SPAGHETTI_BGR, px(4))
    # the head goes on moving over the part, and over a tangle: a failing print's picture changes too (a still
    # one would be taken for a frozen camera)
    nozzle_x = int(centre + px(250) * math.sin(t))
    nozzle_y = bed_top - part_height - px(30)
    cv2.rectangle(image, (nozzle_x - px(40), nozzle_y - px(70)), (nozzle_x + px(40), nozzle_y), (180, 180, 180), -1)
    # the scene time as a camera's clock shows it, in a corner
    cv2.putText(image, f"t={t:8.1f}", (px(20), px(40)), cv2.FONT_HERSHEY_SIMPLEX, width / 1280, (255, 255, 255), px(2))
    _draw_stamp(image, t)
    return image


STAMP_BITS = 24
STAMP_CELL = 16  # px per bit, big enough to survive JPEG and H.264


def stamp_cell(width: int) -> int:
    """A stamp bit's cell in a picture this wide: STAMP_CELL where it is read (640 px or more), in proportion below
    (a small picture's stamp is no bigger a part of it than a camera's clock)."""
    return STAMP_CELL if width >= 640 else max(2, STAMP_CELL * width // 1280)


def _draw_stamp(image: np.ndarray, t: float) -> None:
    """The scene time in tenths of a second as a strip of black/white cells along the bottom edge, in Gray code: one
    cell changes at a time, as a clock's digits do (a binary carry would flip a row of cells at once)."""
    tenths = int(t * 10) % (1 << STAMP_BITS)
    value = tenths ^ (tenths >> 1)
    height, cell = image.shape[0], stamp_cell(image.shape[1])
    for bit in range(STAMP_BITS):
        shade = 255 if value >> bit & 1 else 0
        image[height - cell : height, bit * cell : (bit + 1) * cell] = shade


def read_stamp(jpeg: bytes) -> float:
    """The scene time a frame shows (for measuring frame age in benchmarks)."""
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    height = image.shape[0]
    value = 0
    for bit in range(STAMP_BITS):
        x = bit * STAMP_CELL
        cell = image[height - STAMP_CELL + 4 : height - 4, x + 4 : x + STAMP_CELL - 4]
        value |= (1 if cell.mean() > 127 else 0) << bit
    tenths, shift = value, 1
    while value >> shift:  # from Gray code
        tenths ^= value >> shift
        shift += 1
    return tenths / 10


def drawn_part(size: int) -> bytes:
    """A picture of a finished object, as a slicer renders it for its preview: a box on a transparent background."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((size // 4, size // 3, 3 * size // 4, 5 * size // 6), fill=(120, 120, 200, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def encode_jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


def shows_failure(jpeg: bytes) -> bool:
    """True when the frame has the failure scene's strands (what the local model 'sees')."""
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return False
    lower = np.array([0, 100, 200], np.uint8)
    upper = np.array([60, 180, 255], np.uint8)
    return int(cv2.inRange(image, lower, upper).sum() // 255) > image.shape[0] * image.shape[1] // 200


def shows_leftover(jpeg: bytes) -> bool:
    """True when the frame has the leftover scene's green part on the plate (what the local model 'sees')."""
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return False
    found = cv2.inRange(image, np.array([20, 150, 20], np.uint8), np.array([110, 255, 110], np.uint8))
    return int(found.sum() // 255) > image.shape[0] * image.shape[1] // 200


class SceneCamera:
    """The scene as a frame source on a simulated clock (small frames); can be broken, blacked out or frozen."""

    def __init__(self, clock, width: int = 192, height: int = 108):
        self.clock = clock
        self.width, self.height = width, height
        self.times: list[float] = []  # when frames were taken
        self.broken = False
        self.scene = "healthy"  # healthy | failed | black
        self.frozen_at = None  # scene time shown while frozen

    def __call__(self):
        from octoprint_failwatch.frame import Frame

        if self.broken:
            raise ConnectionError("camera unreachable: connection refused at rtsp://cam/stream")
        self.times.append(self.clock.monotonic())
        t = self.frozen_at if self.frozen_at is not None else self.clock.monotonic()
        return Frame(
            encode_jpeg(render(self.scene, t, self.width, self.height)), self.clock.monotonic(), self.clock.time()
        )

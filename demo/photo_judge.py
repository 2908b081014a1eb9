"""The stand-in model's eyes on real photos: a model that is right on the pictures it was shown.

Given pictures known to be failed or healthy, it says "failed" when the newest image of a request is nearest
(16x16 grey thumbnails) to a failed one. It never runs the on-device detector, so the detector and the judge are
not the same eyes (`ModelServer.judge`)."""

from __future__ import annotations

import io
from typing import Iterable

from PIL import Image

from demo.printnanny import SPAGHETTI


def thumbnail(jpeg: bytes) -> list[int]:
    image = Image.open(io.BytesIO(jpeg))
    image.draft("L", (64, 64))
    return list(image.convert("L").resize((16, 16)).tobytes())


class PhotoJudge:
    def __init__(self, known: Iterable[tuple[bytes, bool]]):
        self._known = [(thumbnail(jpeg), failed) for jpeg, failed in known]

    def __call__(self, jpeg: bytes) -> bool:
        try:
            seen = thumbnail(jpeg)
        except Exception:
            return False
        return min(self._known, key=lambda known: sum(abs(a - b) for a, b in zip(known[0], seen)))[1]


def printnanny_judge(photos: dict[int, bytes], working: dict[str, list[bytes]]) -> PhotoJudge:
    """Right on PrintNanny's photos (its spaghetti ones failed) and on a working printer's frames
    (`printnanny_motion.working_printer`: all but the healthy ones failed)."""
    return PhotoJudge(
        [
            *((jpeg, number in SPAGHETTI) for number, jpeg in photos.items()),
            *((jpeg, kind != "healthy") for kind, frames in working.items() for jpeg in frames),
        ]
    )

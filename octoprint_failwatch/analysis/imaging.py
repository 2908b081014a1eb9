"""Frame preparation before a model call: crop to the region of interest, scale down, re-encode.

Image tokens are most of the cost (Claude ~ width x height / 750 per image, Nova ~1000+), so the
long side is capped (768 px by default) and the JPEG re-encoded; alerts keep the full-size frame.
Pillow does it: light enough to load on a Raspberry Pi, where OpenCV is loaded only for an RTSP camera.
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Optional

from PIL import Image

from ..frame import Frame
from .verdict import AnalysisError


def crop_to_roi(image: Image.Image, roi: Optional[tuple[float, float, float, float]]) -> Image.Image:
    """The region of interest (x, y, width, height as shares of the picture) of the image; all of it for None."""
    if roi is None:
        return image
    x, y, width, height = roi
    return image.crop(
        (
            round(x * image.width),
            round(y * image.height),
            round((x + width) * image.width),
            round((y + height) * image.height),
        )
    )


def prepare(frame: Frame, long_side: int, quality: int, roi: Optional[tuple[float, float, float, float]]) -> Frame:
    """Returns the frame as the model should see it; unchanged when nothing is to be done."""
    if not long_side and roi is None:
        return frame
    try:
        image: Image.Image = Image.open(io.BytesIO(frame.jpeg))
        image.load()
    except (OSError, ValueError):
        raise AnalysisError("a camera frame is not a decodable JPEG") from None
    image = crop_to_roi(image, roi)
    width, height = image.size
    scale = long_side / max(height, width) if long_side else 1.0
    if scale < 1.0:
        image = image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BOX)
    encoded = io.BytesIO()
    image.convert("RGB").save(encoded, "JPEG", quality=quality)
    return replace(frame, jpeg=encoded.getvalue())

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


def prepare(frame: Frame, long_side: int, quality: int, roi: Optional[tuple[float, float, float, float]]) -> Frame:
    """Returns the frame as the model should see it; unchanged when nothing is to be done."""
    if not long_side and roi is None:
        return frame
    try:
        image: Image.Image = Image.open(io.BytesIO(frame.jpeg))
        image.load()
    except (OSError, ValueError):
        raise AnalysisError("a camera frame is not a decodable JPEG") from None
    if roi is not None:
        width, height = image.size
        x, y, w, h = roi
        image = image.crop((int(x * width), int(y * height), int((x + w) * width), int((y + h) * height)))
    width, height = image.size
    scale = long_side / max(height, width) if long_side else 1.0
    if scale < 1.0:
        image = image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BOX)
    encoded = io.BytesIO()
    image.convert("RGB").save(encoded, "JPEG", quality=quality)
    return replace(frame, jpeg=encoded.getvalue())

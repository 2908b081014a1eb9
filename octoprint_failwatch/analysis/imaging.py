"""Frame preparation before a model call: crop to the region of interest, scale down, re-encode.

Image tokens are most of the cost (Claude ~ width x height / 750 per image, Nova ~1000+), so the
long side is capped (768 px by default) and the JPEG re-encoded; alerts keep the full-size frame.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import cv2
import numpy as np

from ..frame import Frame
from .verdict import AnalysisError


def prepare(frame: Frame, long_side: int, quality: int, roi: Optional[tuple[float, float, float, float]]) -> Frame:
    """Returns the frame as the model should see it; unchanged when nothing is to be done."""
    if not long_side and roi is None:
        return frame
    image = cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise AnalysisError("a camera frame is not a decodable JPEG")
    if roi is not None:
        height, width = image.shape[:2]
        x, y, w, h = roi
        image = image[int(y * height): int((y + h) * height), int(x * width): int((x + w) * width)]
    height, width = image.shape[:2]
    scale = long_side / max(height, width) if long_side else 1.0
    if scale < 1.0:
        image = cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                           interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise AnalysisError("could not re-encode a camera frame")
    return replace(frame, jpeg=encoded.tobytes())

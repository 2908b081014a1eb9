"""Is the picture alive? Detects black or near-uniform frames and a frozen picture (a stream that
"plays" but does not change), so such frames are never sent to the model.

Frames are compared as small grayscale thumbnails: cheap enough for a Raspberry Pi, and tolerant
of the encoder noise that makes two pictures of a frozen scene differ by a few grey levels.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

THUMBNAIL = (64, 36)
UNIFORM_STDDEV = 4.0  # grey levels: below this the frame has no picture in it
BLACK_MEAN = 20.0
CHANGE_THRESHOLD = 0.6  # mean absolute difference (grey levels) that counts as a change

BLACK = "black"
UNIFORM = "uniform"
FROZEN = "frozen"


class CameraHealth:
    def __init__(self, frozen_seconds: float):
        self._frozen_seconds = frozen_seconds
        self._reference: Optional[np.ndarray] = None
        self._unchanged_since: Optional[float] = None

    def reset(self) -> None:
        self._reference = None
        self._unchanged_since = None

    def check(self, jpeg: bytes, at: float) -> Optional[tuple[str, str]]:
        """(kind, message) when the frame must not be analysed, None when it is fine."""
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_4)
        if image is None:
            return UNIFORM, "camera sent a frame that cannot be decoded"
        thumbnail = cv2.resize(image, THUMBNAIL, interpolation=cv2.INTER_AREA).astype(np.float32)
        mean, stddev = float(thumbnail.mean()), float(thumbnail.std())
        if stddev < UNIFORM_STDDEV:
            self.reset()
            if mean < BLACK_MEAN:
                return BLACK, "camera picture is black (lens covered, lights off or camera not ready)"
            return UNIFORM, "camera picture is a single flat colour (no image)"
        if self._reference is None or float(np.abs(thumbnail - self._reference).mean()) >= CHANGE_THRESHOLD:
            self._reference = thumbnail
            self._unchanged_since = at
            return None
        if at - self._unchanged_since >= self._frozen_seconds:
            return FROZEN, f"camera picture has not changed for {at - self._unchanged_since:.0f} s (frozen stream?)"
        return None

"""Is the picture alive? Detects black or near-uniform frames and a frozen picture (a stream that
"plays" but does not change), so such frames are never sent to the model.

Frames are compared as small grayscale thumbnails: cheap enough for a Raspberry Pi (the JPEG is
decoded at a quarter of its size), and tolerant of the encoder noise that makes two pictures of a
frozen scene differ by a few grey levels.
"""

from __future__ import annotations

import io
from typing import Optional

from PIL import Image, ImageChops, ImageStat

THUMBNAIL = (64, 36)
UNIFORM_STDDEV = 4.0  # grey levels: below this the frame has no picture in it
BLACK_MEAN = 20.0
CHANGE_THRESHOLD = 0.6  # mean absolute difference (grey levels) that counts as a change

BLACK = "black"
UNIFORM = "uniform"
FROZEN = "frozen"


def thumbnail(jpeg: bytes) -> Optional[Image.Image]:
    try:
        image = Image.open(io.BytesIO(jpeg))
        image.draft("L", (THUMBNAIL[0] * 4, THUMBNAIL[1] * 4))  # let the JPEG decoder skip what is not needed
        return image.convert("L").resize(THUMBNAIL, Image.Resampling.BOX)
    except (OSError, ValueError):
        return None


class CameraHealth:
    def __init__(self, frozen_seconds: float):
        self._frozen_seconds = frozen_seconds
        self._reference: Optional[Image.Image] = None
        self._unchanged_since: Optional[float] = None

    def reset(self) -> None:
        self._reference = None
        self._unchanged_since = None

    def check(self, jpeg: bytes, at: float) -> Optional[tuple[str, str]]:
        """(kind, message) when the frame must not be analysed, None when it is fine."""
        small = thumbnail(jpeg)
        if small is None:
            return UNIFORM, "camera sent a frame that cannot be decoded"
        stats = ImageStat.Stat(small)
        mean, stddev = stats.mean[0], stats.stddev[0]
        if stddev < UNIFORM_STDDEV:
            self.reset()
            if mean < BLACK_MEAN:
                return BLACK, "camera picture is black (lens covered, lights off or camera not ready)"
            return UNIFORM, "camera picture is a single flat colour (no image)"
        if (
            self._reference is None
            or ImageStat.Stat(ImageChops.difference(small, self._reference)).mean[0] >= CHANGE_THRESHOLD
        ):
            self._reference = small
            self._unchanged_since = at
            return None
        unchanged = at - (self._unchanged_since if self._unchanged_since is not None else at)
        if unchanged >= self._frozen_seconds:
            return FROZEN, f"camera picture has not changed for {unchanged:.0f} s (frozen stream?)"
        return None

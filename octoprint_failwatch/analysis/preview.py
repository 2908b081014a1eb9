"""The slicer's preview of the finished object, read from the G-code: PrusaSlicer, SuperSlicer, OrcaSlicer, Bambu
Studio and Cura's thumbnail script write it near the top of the file as `; thumbnail begin WxH LEN`, base64 lines
each starting with `; `, then `; thumbnail end` (PNG; `thumbnail_JPG` for JPEG). The largest one is taken and sent
small: it shows the model what should be on the bed, beside the camera's frames. Prusa's binary G-code (`.bgcode`)
and QOI thumbnails are not read: the look goes on without a preview and the incident says so."""

from __future__ import annotations

import base64
import binascii
import io
import re
from pathlib import Path
from typing import Optional

HEAD_BYTES = 4 * 1024 * 1024  # thumbnails sit at the top of the file: a 100 MB G-code is not read whole
SIDE = 256  # px: the preview's long side as the model gets it (a small image: a few hundred tokens)
_BLOCK = re.compile(
    rb"^; thumbnail(?P<kind>_JPG)? begin (?P<w>\d+)x(?P<h>\d+) \d+\r?\n(?P<data>.*?)^; thumbnail(?:_JPG)? end",
    re.MULTILINE | re.DOTALL,
)


def read_preview(path: Path) -> Optional[bytes]:
    """The largest thumbnail in the G-code, as a small PNG; None when the file has none or cannot be read."""
    if path.suffix.lower() == ".bgcode":
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return None
    blocks = sorted(_BLOCK.finditer(head), key=lambda m: int(m["w"]) * int(m["h"]), reverse=True)
    for block in blocks:
        data = b"".join(line.strip()[1:].strip() for line in block["data"].splitlines() if line.startswith(b";"))
        try:
            return small_png(base64.b64decode(data, validate=False))
        except (binascii.Error, ValueError, OSError):
            continue  # a damaged block: the next one
    return None


def small_png(image_bytes: bytes) -> bytes:
    """The picture with its long side at most SIDE px, as PNG (transparency kept: slicers draw on none)."""
    from PIL import Image

    image: Image.Image = Image.open(io.BytesIO(image_bytes))
    image.load()
    if max(image.size) > SIDE:
        scale = SIDE / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()

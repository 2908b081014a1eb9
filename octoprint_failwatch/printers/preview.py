"""The slicer's preview of the finished object, read from the file being printed and sent small: it shows the model
what should be on the bed, beside the camera's frames.

Text G-code: PrusaSlicer, SuperSlicer, OrcaSlicer, Bambu Studio and Cura's thumbnail script write it near the top as
`; thumbnail begin WxH LEN` (or `thumbnail_JPG`, `thumbnail_QOI`), base64 lines each starting with `; `, then the
matching end line. Prusa's binary G-code (`.bgcode`) keeps it in thumbnail blocks after the file and printer
metadata. The largest picture that decodes is taken; QOI decodes only with Pillow 9.5 or newer, so a file with QOI
pictures alone has no preview on an older Pillow (the look goes on without one, and the incident says so).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
from pathlib import Path
from typing import Iterator, Optional

HEAD_BYTES = 4 * 1024 * 1024  # thumbnails sit at the top of the file: a 100 MB G-code is not read whole
SIDE = 256  # px: the preview's long side as the model gets it (a small image: a few hundred tokens)
_BLOCK = re.compile(
    rb"^; (?P<tag>thumbnail(?:_[A-Z]+)?) begin (?P<w>\d+)x(?P<h>\d+) \d+\r?\n(?P<data>.*?)^; (?P=tag) end",
    re.MULTILINE | re.DOTALL,
)
# Prusa's binary G-code (libbgcode's specification): little-endian throughout
_BGCODE_MAGIC = b"GCDE"
_BGCODE_HEADER = struct.Struct("<4sIH")  # magic, version, checksum type (0 none, 1 CRC32)
_BLOCK_HEADER = struct.Struct("<HHI")  # type, compression, uncompressed size; a compressed block adds its size
_THUMBNAIL_PARAMS = struct.Struct("<HHH")  # format (0 PNG, 1 JPG, 2 QOI), width, height
_THUMBNAIL, _GCODE = 5, 1  # block types: thumbnails come before the first G-code block


def read_preview(path: Path) -> Optional[bytes]:
    """The largest picture in the file that decodes, as a small PNG; None when it has none or cannot be read."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return None
    pictures = _bgcode_pictures(head) if head.startswith(_BGCODE_MAGIC) else _gcode_pictures(head)
    for _, picture in sorted(pictures, key=lambda item: item[0], reverse=True):
        try:
            return small_png(picture)
        except (ValueError, OSError):
            continue  # damaged, or a format this Pillow cannot read: the next one
    return None


def _gcode_pictures(head: bytes) -> Iterator[tuple[int, bytes]]:
    """(area, picture bytes) of each thumbnail block of a text G-code."""
    for block in _BLOCK.finditer(head):
        data = b"".join(line.strip()[1:].strip() for line in block["data"].splitlines() if line.startswith(b";"))
        try:
            yield int(block["w"]) * int(block["h"]), base64.b64decode(data, validate=False)
        except (binascii.Error, ValueError):
            continue


def _bgcode_pictures(head: bytes) -> Iterator[tuple[int, bytes]]:
    """(area, picture bytes) of each thumbnail block of a binary G-code, up to its first G-code block."""
    if len(head) < _BGCODE_HEADER.size:
        return
    _, _, checksum_type = _BGCODE_HEADER.unpack_from(head)
    checksum = 4 if checksum_type == 1 else 0
    offset = _BGCODE_HEADER.size
    while offset + _BLOCK_HEADER.size <= len(head):
        kind, compression, size = _BLOCK_HEADER.unpack_from(head, offset)
        offset += _BLOCK_HEADER.size
        if compression:
            if offset + 4 > len(head):
                return
            (size,) = struct.unpack_from("<I", head, offset)
            offset += 4
        if kind == _GCODE:
            return
        params = _THUMBNAIL_PARAMS.size if kind == _THUMBNAIL else 2  # other blocks: their encoding
        if kind == _THUMBNAIL and not compression and offset + params + size <= len(head):
            _, width, height = _THUMBNAIL_PARAMS.unpack_from(head, offset)
            yield width * height, head[offset + params : offset + params + size]
        offset += params + size + checksum


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

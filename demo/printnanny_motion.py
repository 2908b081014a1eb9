"""PrintNanny's healthy photos as a working printer shows them, and with the failures its detector was not trained for.

A working printer's picture is never still: the head travels over the print and a bed-slinger's bed moves the print
back and forth. `moving_frames` makes such a recording from one real photo: the band of the picture with the head
(its top) shifted sideways by a random amount at each frame, the band with the plate and the print (its bottom)
shifted up or down, each frame with a still camera's noise. `failed_photo` makes, from the same photo, what a
failure the detector does not know leaves in view: the part moved (knocked loose), swept off the plate, or its top
half shifted sideways (a layer shift). Where the head band ends and where the part lies were read off each photo by
eye (`PLACES`); nothing else about the photos is assumed.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

UNTRAINED = ("moved", "swept", "layer_shift")
WORKING = 4  # the healthy photo a working printer is made of (its part is big enough to be knocked loose)


@dataclass(frozen=True)
class Place:
    head_until: float  # the head's band: the picture's rows above this share of its height
    part: tuple[float, float, float, float]  # the print: left, top, right, bottom as shares of the picture


PLACES = {
    2: Place(head_until=0.6, part=(0.45, 0.6, 0.56, 0.72)),  # a small print under the nozzle, on blue tape
    4: Place(head_until=0.55, part=(0.5, 0.55, 1.0, 1.0)),  # two red arcs at the right of a glass plate
}


def _image(photo: bytes, width: int):
    from PIL import Image

    image = Image.open(io.BytesIO(photo)).convert("RGB")
    return image.resize((width, round(image.height * width / image.width)))


def _shifted(band, dx: int, dy: int):
    """The band moved by (dx, dy) pixels; what it uncovers is its mean colour (a background out of focus)."""
    from PIL import Image, ImageStat

    fill = tuple(round(v) for v in ImageStat.Stat(band).mean)
    return band.transform(band.size, Image.Transform.AFFINE, (1, 0, -dx, 0, 1, -dy), fillcolor=fill)


def _jpeg(image, rng: random.Random) -> bytes:
    import numpy as np
    from PIL import Image

    pixels = np.asarray(image, dtype=np.int16)
    noise = np.random.default_rng(rng.randrange(1 << 30))
    noisy = pixels + noise.uniform(-2.0, 2.0) + noise.normal(0, 2.0, pixels.shape)
    out = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=85)
    return out.getvalue()


def moving_frames(photo: bytes, number: int, count: int, draw: int = 0, width: int = 640) -> list[bytes]:
    """`count` frames of a working printer: the head anywhere within a tenth of the picture's width either side of
    where the photo has it, the plate within a thirtieth of its height up or down."""
    image, place, rng = _image(photo, width), PLACES[number], random.Random(draw)
    split = round(place.head_until * image.height)
    frames = []
    for _ in range(count):
        frame = image.copy()
        head = image.crop((0, 0, image.width, split))
        plate = image.crop((0, split, image.width, image.height))
        frame.paste(_shifted(plate, 0, round(rng.uniform(-1, 1) * image.height / 30)), (0, split))
        frame.paste(_shifted(head, round(rng.uniform(-1, 1) * image.width / 10), 0), (0, 0))
        frames.append(_jpeg(frame, rng))
    return frames


def failed_photo(photo: bytes, number: int, kind: str, width: int = 640) -> bytes:
    """The photo with the failure `kind` (one of UNTRAINED) in view, as a JPEG."""
    from PIL import ImageStat

    image, place = _image(photo, width), PLACES[number]
    left, top, right, bottom = (
        round(share * size) for share, size in zip(place.part, (image.width, image.height, image.width, image.height))
    )
    part = image.crop((left, top, right, bottom))
    around = image.crop((max(0, left - 12), (top + bottom) // 2, left, bottom))  # the plate beside its foot
    plate = tuple(round(v) for v in ImageStat.Stat(around).mean)
    if kind == "layer_shift":  # the top half printed a fifth of the part's width to the side
        upper = part.crop((0, 0, part.width, part.height // 2))
        image.paste(_shifted(upper, -max(2, part.width // 5), 0), (left, top))
    else:
        image.paste(plate, (left, top, right, bottom))
        if kind == "moved":  # knocked over to the side by half its width, a little up the plate
            image.paste(part, (left - part.width // 2, top - part.height // 6))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def working_printer(photo: bytes, count: int) -> dict[str, list[bytes]]:
    """`count` frames of a working printer made of photo WORKING: "healthy", and with each failure of UNTRAINED."""
    frames = {"healthy": moving_frames(photo, WORKING, count, draw=1)}
    for number, kind in enumerate(UNTRAINED):
        frames[kind] = moving_frames(failed_photo(photo, WORKING, kind), WORKING, count, draw=2 + number)
    return frames

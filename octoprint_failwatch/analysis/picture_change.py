"""The picture-change eye: a failure the on-device detector was not trained for — a part knocked loose or swept off
the plate, a layer shift — changes the picture in a way the print's own progress does not.

Each frame the local eyes look at becomes a small grey thumbnail, its brightness and contrast evened out (a lamp
dimmed or the camera's exposure is no change). It is held against the frames of the last `WINDOW` seconds that are
at least `settle` seconds old, block by block: a block's difference is the one to the most alike of those frames.
The print head and a bed-slinger's bed are somewhere in most of them, so where they are now is rarely new; a print
grows a layer at a time, which in `settle` seconds changes little. A block has changed when its difference is over
`CHANGED` (in units of the picture's own contrast). A block that changes in many looks (`RESTLESS`: a camera's
clock, a fan, the head's usual path) is no evidence: only calm blocks count. A change is raised when the same calm
blocks changed in `IN_A_ROW` looks in a row (the head moves on between looks, a moved part stays moved) and cover at
least `MIN_SHARE` of the picture; before that it is beginning (the engine takes the verification's frames meanwhile).

A change that stays is among the frames held against once it is `settle` seconds old: the eye raises it once, then
sees it as the print. One the judge rejected (a lamp switched on) is held against from then on like any; one that
comes back where the judge rejected one before (a camera's clock, a blinking light) is the print's own for the rest
of the print (`last_rejected`). A new watch (a print's start, a hold's end, after a rejected alarm) starts with no
frames: the eye judges once it holds `MIN_HELD` frames and has learned the blocks' restlessness over `LEARNING_LOOKS`
looks — a minute and a half at a look every 2 s. NumPy is imported when a frame is looked at: the local eyes run only
beside the detector, whose runtime brings it.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any, Optional

from ..frame import Frame
from .imaging import crop_to_roi
from .local_detector import where_in_picture
from .verdict import Verdict

EYE_NAME = "picture change"
THUMB_WIDTH = 96  # px: a 20 mm part on a 220 mm plate in full view is a few blocks
BLOCK = 4  # px of the thumbnail a block is wide and high
WINDOW = 300.0  # s of frames a new one is held against (longer when the looks are rarer)
SETTLE = 30.0  # s before a frame is held against (and a change that stays is the print's)
KEEP_EVERY = 1.0  # s between the frames kept to hold against: at most WINDOW / KEEP_EVERY of them
MIN_HELD = 10  # frames to hold against before judging
CHANGED = 0.5  # a block's mean difference, in the picture's own contrast (its standard deviation), that is a change
IN_A_ROW = 3  # looks in a row that must show a change in the same blocks
RESTLESS = 0.25  # a block changed in this share of the recent looks is restless (a clock, a fan, the head's path)
RESTLESS_WEIGHT = 0.05  # a look's weight in that share: it remembers about the last 20 looks
LEARNING_LOOKS = 20  # looks judged before a change is raised: the blocks' restlessness is learned first
MIN_SHARE = 0.01  # of the picture's blocks, changed in all the looks in a row
MIN_BLOCKS = 3
FLAT_CONTRAST = 4.0  # grey levels: a near-uniform picture's noise is not stretched into contrast


@dataclass(frozen=True)
class ChangeSeen:
    """A change of the picture beyond the print's growth, in the same blocks for `looks` looks in a row: raised at
    `IN_A_ROW`, beginning before."""

    share: float  # of the picture
    middle: float  # the changed blocks' middle, across the picture (0 left, 1 right)
    looks: int = IN_A_ROW

    @property
    def raised(self) -> bool:
        return self.looks >= IN_A_ROW

    def verdict(self) -> Verdict:
        """A raised change is a failing verdict; a beginning one is not (yet)."""
        return Verdict(
            print_failed=self.raised,
            # not a likelihood: the more of the picture changed, the less it is noise or a passing head
            confidence=round(min(0.95, 0.5 + 5 * self.share), 2),
            failure_type="other",
            explanation=(
                f"the picture changed beyond the print's own growth: {100 * self.share:.0f} % of it, "
                f"{where_in_picture(self.middle)}, for {self.looks} looks in a row"
            ),
            model=EYE_NAME,
            source="change",
        )


class PictureChange:
    """One watch's memory of its picture. Thread-safe: frames arrive on the camera's thread, `forget` from the
    engine's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: list[tuple[float, Any]] = []  # (captured_at, thumbnail), oldest first
        self._row: list[tuple[float, Any]] = []  # the looks in a row that changed in the same blocks, newest last
        self._restlessness: Any = None  # per block, the share of the recent looks in which it changed
        self._judged = 0  # looks judged since the watch began
        self._raised: Any = None  # the blocks of the changes raised in this watch (a change is raised look by look)
        self._rejected: Any = None  # blocks of changes the judge rejected
        self._dismissed: Any = None  # blocks of changes it rejected where it had rejected one before: the print's own
        self._last_look: Optional[float] = None
        self._gap = 0.0  # s between the last two looks

    def last_rejected(self) -> None:
        """The judge rejected the change this watch raised. If it came back where one was rejected before (a camera's
        clock, a blinking light), a change in its blocks is the print's own for the rest of the print and no evidence
        again; a change rejected once (a lamp switched on) leaves no blind spot: it is part of the picture held
        against from then on."""
        with self._lock:
            raised = self._raised
            if raised is None:
                return
            if _same_shape(self._rejected, raised) and (self._rejected & raised).any():
                # with the blocks about it: the head and a bed-slinger's bed move what changed by a block or so
                self._dismissed = _joined(self._dismissed, _with_neighbours(raised))
            self._rejected = _joined(self._rejected, raised)

    def forget(self) -> None:
        """A new watch: what the picture was before is not what it should be now (what was dismissed stays so)."""
        with self._lock:
            self._kept, self._row, self._last_look, self._gap, self._raised = [], [], None, 0.0, None
            self._restlessness, self._judged = None, 0

    def observe(self, frame: Frame, roi: Optional[tuple[float, float, float, float]] = None) -> Optional[ChangeSeen]:
        """The change this frame shows, if any; None too for a frame that cannot be read."""
        thumbnail = _thumbnail(frame.jpeg, roi)
        if thumbnail is None:
            return None
        at = frame.captured_at
        with self._lock:
            if self._last_look is not None and at > self._last_look:
                self._gap = at - self._last_look
            self._last_look = at
            # whatever the looks' pace: the looks in a row fit within `settle`, and MIN_HELD older ones in the window
            settle = max(SETTLE, (IN_A_ROW + 1) * self._gap)
            window = max(WINDOW, settle + (MIN_HELD + 1) * self._gap)
            held = [old for when, old in self._kept if settle <= at - when <= window and old.shape == thumbnail.shape]
            changed = self._calm(_changed_blocks(thumbnail, held)) if len(held) >= MIN_HELD else None
            steady = self._row_with(changed, at, settle)
            if not self._kept or at - self._kept[-1][0] >= KEEP_EVERY:
                self._kept = [(when, old) for when, old in self._kept if at - when <= window] + [(at, thumbnail)]
            looks = len(self._row)
            if steady is not None and looks >= IN_A_ROW:
                self._raised = _joined(self._raised, steady)
        if steady is None:
            return None
        columns = steady.nonzero()[1]
        middle = (float(columns.mean()) + 0.5) / steady.shape[1]
        return ChangeSeen(share=int(steady.sum()) / steady.size, middle=middle, looks=looks)

    def _calm(self, changed):
        """The changed blocks that were calm until now; each look's changes count in the blocks' restlessness."""
        restless = self._restlessness
        if restless is None or restless.shape != changed.shape:
            restless, self._judged = changed * 0.0, 0
        self._judged += 1
        calm = changed & (restless < RESTLESS) & (self._judged > LEARNING_LOOKS)
        if _same_shape(self._dismissed, calm):
            calm &= ~self._dismissed
        self._restlessness = restless * (1 - RESTLESS_WEIGHT) + changed * RESTLESS_WEIGHT
        return calm

    def _row_with(self, changed, at: float, settle: float):
        """Adds this look's changed blocks to the row of looks that changed in the same blocks; the blocks changed
        in all of the row (its last IN_A_ROW looks), or None when this look ends the row."""
        if changed is None or not _enough(changed):
            self._row = []
            return None
        row = [(when, old) for when, old in self._row if at - when <= settle][1 - IN_A_ROW :] + [(at, changed)]
        steady = _changed_in_all([old for _, old in row])
        if not _enough(steady):  # changed elsewhere than the looks before: a row of its own begins
            row, steady = [(at, changed)], changed
        self._row = row
        return steady


def _same_shape(blocks, other) -> bool:
    """Whether `blocks` (or None) is a mask of the same picture's blocks as `other` (the roi may have changed)."""
    return blocks is not None and blocks.shape == other.shape


def _joined(blocks, more):
    """`more` with `blocks` (or None) added, unless those are of another picture's blocks (the roi changed)."""
    return more | blocks if _same_shape(blocks, more) else more


def _with_neighbours(blocks):
    """The blocks and the blocks beside, above and below them."""
    grown = blocks.copy()
    grown[1:, :] |= blocks[:-1, :]
    grown[:-1, :] |= blocks[1:, :]
    grown[:, 1:] |= blocks[:, :-1]
    grown[:, :-1] |= blocks[:, 1:]
    return grown


def _enough(blocks) -> bool:
    return int(blocks.sum()) >= max(MIN_BLOCKS, MIN_SHARE * blocks.size)


def _changed_in_all(masks: list):
    """The blocks changed in every one of `masks`."""
    import numpy

    return numpy.logical_and.reduce(masks)


def _thumbnail(jpeg: bytes, roi):
    """The frame as a small grey picture with its mean 0 and its contrast 1 (a float array), or None."""
    import numpy
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(jpeg))
        image.draft("L", (THUMB_WIDTH * 2, THUMB_WIDTH * 2))  # decoded at a fraction: a few ms on a Pi
        grey = image.convert("L")
    except Exception:  # PIL raises several kinds for a picture it cannot read; the detector says so already
        return None
    grey = crop_to_roi(grey, roi)
    rows = max(BLOCK, round(THUMB_WIDTH * grey.height / max(1, grey.width)) // BLOCK * BLOCK)
    pixels = numpy.asarray(grey.resize((THUMB_WIDTH, rows), Image.Resampling.BOX), dtype=numpy.float32)
    # in units of the picture's own contrast: a lamp or the camera's exposure, which brighten it all alike, change
    # nothing (a near-uniform picture's noise is not stretched into contrast)
    return (pixels - pixels.mean()) / max(float(pixels.std()), FLAT_CONTRAST)


def _changed_blocks(thumbnail, held: list):
    """Per block, whether even the most alike of the held frames differs from this one by more than CHANGED."""
    import numpy

    rows, columns = thumbnail.shape[0] // BLOCK, thumbnail.shape[1] // BLOCK
    differences = numpy.abs(numpy.stack(held) - thumbnail)  # frames x pixels
    per_block = differences.reshape(len(held), rows, BLOCK, columns, BLOCK).mean(axis=(2, 4))
    return per_block.min(axis=0) > CHANGED

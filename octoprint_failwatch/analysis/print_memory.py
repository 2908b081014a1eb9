"""What the on-device detector has flagged in this print, and where — so that a flag is a reason to look closer only
when something changed, never a bare score.

The detector scores organic parts, supports and purge blobs as spaghetti (its look-alikes); such a look-alike is
part of the print: it is there from the moment the print is first judged, or stays in place for long, and does not
grow. A real failure appears where the watch had seen nothing, or grows. So each box the detector saw — flagged,
or scored at half the threshold (a look-alike hovering about the threshold is flagged now and then, but seen all
along) — is matched to a region the print has shown before (boxes of one region overlap, or lie close for their
size: the head and a bed-slinger's bed move things a little between frames; one box to one region per look, the
most alike first, a duplicate box overlapping a matched region joins it), and a flag counts as a change only when
its region is
*new* — first flagged after the watch had looked at the print `ABSENT_LOOKS` times without it, and not in place
for longer than `NEW_FOR` — or *growing*: its box at least `GROWTH` times the area it had when first flagged.

Time is the frames' own capture time (the engine's clock), so the replay judges as the watch does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Optional

Box = tuple[float, float, float, float]  # ymin, xmin, ymax, xmax as fractions of the picture

ABSENT_LOOKS = 3  # looks at the print without a region before it may count as new
NEW_FOR = 600.0  # a region in place this long without a confirmed failure is part of the print
GROWTH = 1.5  # a region this many times its first area has grown: a change
MATCH_IOU = 0.2  # boxes overlapping this much are one region...
MATCH_REACH = 0.25  # ...as are boxes of a like size whose centres lie within this share of the larger's diagonal
LIKE_SIZE = 2.0  # boxes within this ratio of areas are of a like size


def area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _overlap(a: Box, b: Box) -> float:
    inner = area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))
    union = area(a) + area(b) - inner
    return inner / union if union > 0 else 0.0


def _diagonal(box: Box) -> float:
    return ((box[2] - box[0]) ** 2 + (box[3] - box[1]) ** 2) ** 0.5


def likeness(a: Box, b: Box) -> float:
    """How surely two boxes show one region: their overlap; a little for boxes of a like size close together (a
    thin region that moved by more than its width); 0 for two regions."""
    overlap = _overlap(a, b)
    if overlap >= MATCH_IOU:
        return overlap
    small, large = sorted((area(a), area(b)))
    if small <= 0 or large > LIKE_SIZE * small:
        return 0.0
    dy, dx = (a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2
    reach = MATCH_REACH * max(_diagonal(a), _diagonal(b))
    distance = (dx * dx + dy * dy) ** 0.5
    return 0.1 * (1 - distance / reach) if distance < reach else 0.0


@dataclass
class Region:
    first_seen: float
    first_area: float
    looks_before: int  # the print's looks before this region was first flagged
    box: Box  # where it was flagged last


@dataclass(frozen=True)
class Change:
    """A flagged box that is a change, and why: "new" or "growing"."""

    box: Box
    why: str


class PrintMemory:
    """The regions one print has shown; thread-safe (the camera's thread and the model calls' meet here)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the regions and the count of looks
        self._looks = 0  # looks at this print so far
        self._regions: list[Region] = []

    def observe(self, seen: list[tuple[Box, bool]], at: float) -> list[Change]:
        """Records a look at `at` with the boxes it saw (each with whether it is flagged); returns the flagged ones
        that are a change."""
        changes = []
        with self._lock:
            boxes = [box for box, _ in seen]
            for (box, flagged), (region, moved) in zip(seen, self._match(boxes)):
                if region is None:
                    region = Region(first_seen=at, first_area=area(box), looks_before=self._looks, box=box)
                    self._regions.append(region)
                if moved:
                    region.box = box
                why = self._change(region, box, at) if flagged else ""
                if why:
                    changes.append(Change(box, why))
            self._looks += 1
        return changes

    def _match(self, boxes: list[Box]) -> list[tuple[Optional[Region], bool]]:
        """Each box's region (None: a region not seen before) and whether the region is now where the box is: one
        box to one region, the most alike pairs first; a further box overlapping a region joins it (a duplicate)."""
        pairs = sorted(
            (
                (likeness(region.box, box), n, m)
                for n, box in enumerate(boxes)
                for m, region in enumerate(self._regions)
            ),
            reverse=True,
        )
        matched: dict[int, tuple[Region, bool]] = {}
        taken: set[int] = set()
        for score, n, m in pairs:
            if score > 0 and n not in matched and m not in taken:
                matched[n] = (self._regions[m], True)
                taken.add(m)
        for score, n, m in pairs:
            if score >= MATCH_IOU and n not in matched:
                matched[n] = (self._regions[m], False)
        return [matched.get(n, (None, False)) for n in range(len(boxes))]

    def _change(self, region: Region, box: Box, at: float) -> str:
        if region.first_area > 0 and area(box) >= GROWTH * region.first_area:
            return "growing"
        if region.looks_before >= ABSENT_LOOKS and at - region.first_seen <= NEW_FOR:
            return "new"
        return ""

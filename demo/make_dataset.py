"""A small labelled set of synthetic timelapses (the demo scene) for `failwatch evaluate`.

Two healthy prints and two that fail (tangled strands from the onset on), 5 minutes each, a frame
every 2 s at 640x360, each a clip from 10 minutes into its print (past the warm-up).
Run: python -m demo.make_dataset DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from demo.scene import encode_jpeg, render

PRINTS = (("healthy-1", None), ("failing-1", 120.0), ("healthy-2", None), ("failing-2", 200.0))
DURATION, INTERVAL, SIZE = 300.0, 2.0, (640, 360)
PRINT_TIME_AT_START = 600.0  # seconds into the print at a clip's first frame


def make_dataset(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    labels = []
    for name, onset in PRINTS:
        frames = folder / name
        frames.mkdir(exist_ok=True)
        for index in range(int(DURATION / INTERVAL)):
            t = index * INTERVAL
            scene = "failed" if onset is not None and t >= onset else "healthy"
            (frames / f"{index:05d}.jpg").write_bytes(encode_jpeg(render(scene, t, *SIZE), 80))
        labels.append(
            {
                "print": name,
                "frames": name,
                "frame_interval": INTERVAL,
                "onset": onset,
                "print_time_at_start": PRINT_TIME_AT_START,
            }
        )
    (folder / "labels.json").write_text(json.dumps(labels, indent=1))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    print(f"dataset written to {make_dataset(parser.parse_args().folder)}")


if __name__ == "__main__":
    main()

"""OctoPrint's timelapses as past prints to replay ("What would Failwatch have done?"): the list the tab shows —
name, date, length, what a replay with the model would cost — each name checked to be a file of the timelapse
folder itself, how far apart OctoPrint took its captures, and the refusal while a print is being watched (the
machine's CPU is the printer's then)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from ..evaluation.past_print import PastPrintReplay, estimated_cost
from ..evaluation.recordings import VIDEOS
from ..session.session import Session

ASSUMED_INTERVAL = 10.0  # s between captures of a timelapse taken on Z changes: OctoPrint does not say


class PastPrints:
    def __init__(
        self,
        folder: Callable[[], str],
        timelapse_settings: Callable[[], dict],
        session: Session,
        replay: PastPrintReplay,
    ):
        self._folder = folder  # OctoPrint's timelapse folder (its settings may move it)
        self._timelapse_settings = timelapse_settings
        self._session = session
        self.replay = replay

    def frame_interval(self) -> tuple[float, str]:
        """Seconds between the timelapses' captures, and how that is known."""
        settings = self._timelapse_settings() or {}
        interval = (settings.get("options") or {}).get("interval")
        if settings.get("type") == "timed" and isinstance(interval, (int, float)) and interval > 0:
            return float(interval), "OctoPrint's timed timelapse setting"
        return ASSUMED_INTERVAL, "assumed (a timelapse on Z changes has no fixed spacing)"

    def listing(self) -> dict:
        interval, known = self.frame_interval()
        prints = []
        for path in self._videos():
            seconds = _frame_count(path) * interval
            prints.append(
                {
                    "name": path.name,
                    "date": path.stat().st_mtime,
                    "bytes": path.stat().st_size,
                    "minutes": round(seconds / 60, 1),
                    "estimated_cost_usd": round(estimated_cost(self._session.config, seconds), 4),
                }
            )
        return {
            "prints": prints,
            "frame_interval": interval,
            "frame_interval_source": known,
            "replay": self.replay.state(),
        }

    def file(self, name: str) -> Optional[Path]:
        """The timelapse of that name, only if it is one of the folder's own videos."""
        return next((path for path in self._videos() if path.name == name), None)

    def start(self, name: str, with_model: bool) -> Optional[str]:
        """Starts the replay; the reason it cannot start, in words, or None."""
        path = self.file(name)
        if path is None:
            return "no such timelapse"
        if self._session.follower.following:
            return "a print is being watched: replay it once the print has ended (the CPU is the printer's now)"
        if with_model and self._session.config.not_ready():
            return self._session.config.not_ready()
        try:
            self.replay.start(path, self._session.config, self.frame_interval()[0], with_model)
        except ValueError as exc:
            return str(exc)
        return None

    def _videos(self) -> list[Path]:
        folder = Path(self._folder())
        if not folder.is_dir():
            return []
        return sorted(
            (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in VIDEOS),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )


def _frame_count(path: Path) -> int:
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        return max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
    finally:
        capture.release()

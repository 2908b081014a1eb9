"""The camera of the daemon's printer (`camera_source: printer`): the first webcam Moonraker lists, or OctoPrint's
webcam — its snapshot URL, else its stream. The URLs are asked for at the first capture (the printer may not be
reachable when the daemon starts) and again after a capture fails (the user may have changed the webcam); while the
printer cannot say, the URLs it said last are kept."""

from __future__ import annotations

import threading
from typing import Callable, Optional

from ..frame import CameraError, Frame
from .base import FrameSource
from .http import MjpegCamera, SnapshotCamera


class PrinterCamera(FrameSource):
    def __init__(self, urls: Callable[[], tuple[str, str]], timeout: float, clock):
        self._urls = urls  # (snapshot URL, stream URL) from the printer; raises when it cannot say
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()  # guards the source
        self._source: Optional[FrameSource] = None
        self._ask_again = False  # a capture failed: the printer may know a new camera

    def __call__(self) -> Frame:
        with self._lock:
            if self._source is None or self._ask_again:
                try:
                    self._source = self._resolve()
                except CameraError:
                    if self._source is None:
                        raise
                self._ask_again = False
            source = self._source
        try:
            return source()
        except CameraError:
            with self._lock:
                self._ask_again = True
            raise

    def _resolve(self) -> FrameSource:
        try:
            snapshot, stream = self._urls()
        except Exception as exc:  # the printer's own words (PrinterError), or anything it could not say
            raise CameraError(f"camera unreachable: the printer did not say where its camera is: {exc}") from None
        if snapshot:
            return SnapshotCamera(snapshot, self._timeout, self._clock)
        if stream:
            return MjpegCamera(stream, self._timeout, self._clock)
        raise CameraError(
            "camera unreachable: the printer has no webcam configured (add one in Mainsail/Fluidd "
            "or OctoPrint, or set RTSP_URL or SNAPSHOT_URL)"
        )
